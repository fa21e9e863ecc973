import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { type EventLog, slowRequestFields } from '@semicache/events';
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
import { NO_OBSERVER, type TransportObserver } from './transport-observer';

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
  /** Where every request answered is recorded as an event. */
  readonly events: EventLog;
  /** A request that takes longer than this (ms) gets one warning line; undefined: none. */
  readonly slowRequestMs?: number;
}

function replyText(error: ProtocolError): string {
  return serializeReply(errorReply(error));
}

const INTERNAL_REPLY = replyText(new ProtocolError('INTERNAL', 'internal error'));

const NO_INDICES: readonly number[] = [];

/** Contexts kept for reuse: enough for the requests in flight at full load. */
const MAX_SPARE_CONTEXTS = 1024;

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
  private lastConnectionId = 0;
  /**
   * Each request gets a context of its own, holding the event its handler fills; contexts (and
   * with them the records) are reused, the one freed last first, so a request costs no
   * allocation for its event and fills a record the processor's cache still holds.
   */
  private readonly spareContexts: SemicolonContext[] = [];
  private readonly slowRequestUs: number;

  constructor(private readonly options: SemicolonServerOptions) {
    super();
    this.observer = options.observer ?? NO_OBSERVER;
    this.slowRequestUs = (options.slowRequestMs ?? Infinity) * 1000;
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
    const connectionId = ++this.lastConnectionId;
    const connection = new ProtocolSocket(
      socket,
      (frame) => this.handleFrame(frame, socket, connectionId),
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

  private handleFrame(
    frame: Frame,
    socket: Socket,
    connectionId: number,
  ): string | Promise<string> {
    const context = this.contextFor(socket, connectionId);
    const event = context.getEvent();
    if (frame.kind === 'error') {
      event.request(null, NO_INDICES);
      return this.failed(context, frame.error);
    }
    try {
      const request = parseRequest(frame.text, this.options.parse);
      event.request(request.op, request.op === 'CLR' ? NO_INDICES : request.indices);
      const handler = this.handlers.get(request.op);
      if (handler === undefined) {
        throw new ProtocolError('UNKNOWN_OP', `OP ${request.op} is not served here`);
      }
      this.options.events.lend(request, event);
      return this.invoke(handler, request, context).then(
        (reply) => this.succeeded(context, reply),
        (error: unknown) => this.failed(context, error),
      );
    } catch (error) {
      if (event.op === null) event.request(readableOp(frame.text), NO_INDICES);
      return this.failed(context, error);
    }
  }

  private contextFor(socket: Socket, connectionId: number): SemicolonContext {
    const { events } = this.options;
    const context = this.spareContexts.pop() ?? new SemicolonContext(events.take());
    context.assign(socket, connectionId);
    context.getEvent().begin(connectionId, performance.now(), events.defaultSource);
    return context;
  }

  private async invoke(
    handler: MessageHandler,
    request: unknown,
    context: SemicolonContext,
  ): Promise<Reply> {
    const result: unknown = await handler(request, context);
    return (isObservable(result) ? await lastValueFrom(result) : result) as Reply;
  }

  private succeeded(context: SemicolonContext, reply: Reply): string {
    if (reply.op === 'ERR') {
      context.getEvent().fail(reply.code, reply.message);
      this.observer.errorReplied(reply.code);
    }
    this.answered(context);
    return serializeReply(reply);
  }

  private failed(context: SemicolonContext, error: unknown): string {
    const protocolError =
      error instanceof ProtocolError ? error : new ProtocolError('INTERNAL', 'internal error');
    const event = context.getEvent();
    if (protocolError !== error) {
      this.log.error(
        `${event.op ?? 'none'} failed`,
        error instanceof Error ? error.stack : String(error),
      );
    }
    const code: ErrorCode = protocolError.code;
    event.fail(code, protocolError.message);
    this.observer.errorReplied(code);
    this.answered(context);
    return replyText(protocolError);
  }

  /** The reply is ready: the request's metrics, its event recorded (copied), the context back. */
  private answered(context: SemicolonContext): void {
    const { events } = this.options;
    const event = context.getEvent();
    events.reclaim(event);
    const ended = performance.now();
    event.finish(ended);
    const seconds = (ended - event.startedAt) / 1000;
    this.observer.requestCompleted(event.op ?? 'none', event.outcome, seconds, event.source);
    events.commit(event);
    if (event.durationUs > this.slowRequestUs) this.log.warn(slowRequestFields(event, events));
    context.assign(undefined, 0);
    if (this.spareContexts.length < MAX_SPARE_CONTEXTS) this.spareContexts.push(context);
  }
}

const OP_FIELD = /(?:^|;)\s*op\s*=\s*(get|put|clr|add)\s*(?:;|$)/i;

/** The OP of a request that failed to parse, where it can be read (its event's and metrics' op). */
function readableOp(text: string): string | null {
  return OP_FIELD.exec(text)?.[1].toUpperCase() ?? null;
}
