import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import {
  type ErrorCode,
  ProtocolError,
  type ParseOptions,
  type Reply,
  type Frame,
  OPS,
  errorReply,
  isCompleteRequest,
  parseRequest,
  serializeReply,
} from '@semicache/protocol';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isObservable, lastValueFrom } from 'rxjs';
import { ProtocolSocket, type ProtocolSocketOptions } from './protocol-socket';
import { SemicolonContext } from './semicolon-context';
import { NO_OBSERVER, type TransportObserver, secondsSince } from './transport-observer';

export interface SemicolonServerOptions {
  readonly host: string;
  /** 0 picks a free port; `address()` tells which. */
  readonly port: number;
  readonly socket: ProtocolSocketOptions;
  /** Connections beyond this get one BUSY error reply and are closed. */
  readonly maxConnections: number;
  readonly parse?: ParseOptions;
  /** How long a graceful close waits for in-flight replies before cutting connections. */
  readonly shutdownTimeoutMs?: number;
  readonly observer?: TransportObserver;
}

function replyText(error: ProtocolError): string {
  return serializeReply(errorReply(error));
}

const INTERNAL_REPLY = replyText(new ProtocolError('INTERNAL', 'internal error'));

/**
 * NestJS transport strategy for the semicolon protocol. It owns the TCP listener and dispatches
 * each parsed request to the `@MessagePattern(OP)` handler; framing, ordering and backpressure
 * live in `ProtocolSocket`.
 */
export class SemicolonServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(SemicolonServer.name);
  private readonly connections = new Set<ProtocolSocket>();
  private readonly observer: TransportObserver;
  private server: NetServer | undefined;
  private readonly handlers = new Map<string, MessageHandler>();

  constructor(private readonly options: SemicolonServerOptions) {
    super();
    this.observer = options.observer ?? NO_OBSERVER;
  }

  listen(callback: (error?: unknown) => void): void {
    // Handlers are all registered by now; looking one up by pattern per message costs Nest a
    // JSON.parse that throws, so each OP's handler is found once.
    for (const op of OPS) {
      const handler = this.getHandlerByPattern(op);
      if (handler !== null) this.handlers.set(op, handler);
    }
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server = server;
    server.once('error', (error) => callback(error));
    server.listen(this.options.port, this.options.host, () => callback());
  }

  /** The address really bound (useful with port 0). */
  address(): AddressInfo {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error('the semicolon server is not listening');
    }
    return address;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, answers what every connection already sent, then closes them. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const ended = Promise.all([...this.connections].map((connection) => connection.end()));
    const deadline = this.options.shutdownTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadline);
    });
    await Promise.race([ended, timedOut]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.socket.destroy();
    await stopped;
  }

  on(): never {
    throw new Error('SemicolonServer emits no events');
  }

  unwrap<T>(): T {
    return this.server as T;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.options.maxConnections) {
      const busy = new ProtocolError(
        'BUSY',
        `too many connections (${this.options.maxConnections})`,
      );
      this.observer.errorReplied(busy.code);
      socket.on('error', () => socket.destroy());
      socket.end(replyText(busy) + '\n', () => socket.destroy());
      return;
    }
    const context = new SemicolonContext([socket]);
    const connection = new ProtocolSocket(
      socket,
      (frame) => this.handleFrame(frame, context),
      this.options.socket,
      INTERNAL_REPLY,
      (text) => isCompleteRequest(text, this.options.parse),
    );
    this.connections.add(connection);
    this.observer.connectionOpened();
    socket.once('close', () => {
      this.connections.delete(connection);
      this.observer.connectionClosed();
    });
  }

  private handleFrame(frame: Frame, context: SemicolonContext): string | Promise<string> {
    const started = performance.now();
    if (frame.kind === 'error') return this.failed('none', frame.error, started);
    let op: string | undefined;
    try {
      const request = parseRequest(frame.text, this.options.parse);
      const requestOp = (op = request.op);
      const handler = this.handlers.get(requestOp);
      if (handler === undefined) {
        throw new ProtocolError('UNKNOWN_OP', `OP ${requestOp} is not served here`);
      }
      return this.invoke(handler, request, context).then(
        (reply) => this.succeeded(requestOp, reply, started),
        (error: unknown) => this.failed(requestOp, error, started),
      );
    } catch (error) {
      return this.failed(op ?? readableOp(frame.text), error, started);
    }
  }

  private async invoke(
    handler: MessageHandler,
    request: unknown,
    context: SemicolonContext,
  ): Promise<Reply> {
    const result: unknown = await handler(request, context);
    return (isObservable(result) ? await lastValueFrom(result) : result) as Reply;
  }

  private succeeded(op: string, reply: Reply, started: number): string {
    this.observer.requestCompleted(op, reply.op === 'ERR' ? 'error' : 'ok', secondsSince(started));
    if (reply.op === 'ERR') this.observer.errorReplied(reply.code);
    return serializeReply(reply);
  }

  private failed(op: string, error: unknown, started: number): string {
    const protocolError =
      error instanceof ProtocolError ? error : new ProtocolError('INTERNAL', 'internal error');
    if (protocolError !== error)
      this.log.error(`${op} failed`, error instanceof Error ? error.stack : String(error));
    const code: ErrorCode = protocolError.code;
    this.observer.requestCompleted(op, 'error', secondsSince(started));
    this.observer.errorReplied(code);
    return replyText(protocolError);
  }
}

const OP_FIELD = /(?:^|;)\s*op\s*=\s*(get|put|clr|add)\s*(?:;|$)/i;

/** The OP of a request that failed to parse, where it can be read, for the metrics' `op` label. */
function readableOp(text: string): string {
  return OP_FIELD.exec(text)?.[1].toUpperCase() ?? 'none';
}
