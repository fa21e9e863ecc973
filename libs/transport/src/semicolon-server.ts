import { type INestApplicationContext, Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { type EventLog, type EventView, slowRequestFields } from '@semicache/events';
import {
  type ErrorCode,
  ProtocolError,
  type ParseOptions,
  type Reply,
  type Request,
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
import { type DirectHandler, type Dispatch, planDispatch } from './direct-dispatch';
import { hostPort } from './host-port';
import { ProtocolSocket, type ProtocolSocketOptions } from './protocol-socket';
import { SemicolonContext } from './semicolon-context';
import { Throttle } from './throttle';
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
  /**
   * The application whose controllers serve the patterns, which this server is connected to
   * (`connectMicroservice`). Given, a handler that nothing of Nest's per-message pipeline applies
   * to is called directly (see planDispatch); without it, every request takes Nest's pipeline.
   */
  readonly application?: INestApplicationContext;
}

/** How an OP's requests are answered: the method itself, or Nest's handler around it. */
interface Route {
  readonly call: DirectHandler | MessageHandler;
  readonly direct: boolean;
}

function replyText(error: ProtocolError): string {
  return serializeReply(errorReply(error));
}

const INTERNAL_REPLY = replyText(new ProtocolError('INTERNAL', 'internal error'));

const NO_INDICES: readonly number[] = [];

/** Contexts kept for reuse: enough for the requests in flight at full load. */
const MAX_SPARE_CONTEXTS = 1024;

/** Complaints about one client's bad input, BUSY refusals, slow requests: at most one warning this often. */
const COMPLAINT_INTERVAL_MS = 10_000;

/** One accepted connection, as its log lines name it. */
interface Client {
  readonly conn: number;
  readonly peer: string;
  /** Its bad messages, made only once it sends one. */
  complaints?: Throttle;
}

function peerOf(socket: Socket): string {
  return hostPort(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
}

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
  private readonly routes = new Map<string, Route>();
  private plan = new Map<string, Dispatch>();
  /** One line per request at debug: the level is read once, the request path tests a boolean. */
  private readonly logRequests = Logger.isLevelEnabled('debug');
  private readonly busyRefusals = new Throttle(COMPLAINT_INTERVAL_MS);
  /** A slow dependency makes every request slow: one line per interval, not one per request. */
  private readonly slowRequests = new Throttle(COMPLAINT_INTERVAL_MS);
  private lastConnection = 0;
  /** Requests answered since the start, to tell how many a shutdown still answered. */
  private answered = 0;
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
    // JSON.parse that throws, so each OP's handler is found once, and so is how it is called.
    const { application } = this.options;
    if (application !== undefined) this.plan = planDispatch(application, this, OPS);
    for (const op of OPS) {
      const nest = this.getHandlerByPattern(op);
      if (nest === null) continue;
      const dispatch = this.plan.get(op);
      const route: Route =
        dispatch?.mode === 'direct' && !nest.isEventHandler
          ? { call: dispatch.call, direct: true }
          : { call: nest, direct: false };
      this.routes.set(op, route);
    }
    this.log.debug({ msg: 'dispatch', ...this.dispatchModes() });
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

  /**
   * How each served OP reaches its handler: `direct`, or Nest's `pipeline` with the reason
   * (a guard, an interceptor, ...). Known once listening.
   */
  dispatchModes(): Record<string, string> {
    const modes: Record<string, string> = {};
    for (const [op, route] of this.routes) {
      const planned = this.plan.get(op);
      modes[op] = route.direct
        ? 'direct'
        : `pipeline (${planned?.mode === 'pipeline' ? planned.reason : 'no plan'})`;
    }
    return modes;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, answers what every connection already sent, then closes them. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const began = performance.now();
    const connections = this.connections.size;
    const answeredBefore = this.answered;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const ended = Promise.all([...this.connections].map((connection) => connection.end()));
    const deadline = this.options.shutdownTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadline);
    });
    await Promise.race([ended, timedOut]);
    clearTimeout(timer);
    const cut = this.connections.size;
    for (const connection of this.connections) connection.socket.destroy();
    await stopped;
    this.log.log({
      msg: 'connections closed',
      connections,
      repliesAnswered: this.answered - answeredBefore,
      cut,
      ms: Math.round(performance.now() - began),
    });
  }

  on(): never {
    throw new Error('SemicolonServer emits no events');
  }

  unwrap<T>(): T {
    return this.server as T;
  }

  private accept(socket: Socket): void {
    const peer = peerOf(socket);
    if (this.connections.size >= this.options.maxConnections) {
      const busy = new ProtocolError(
        'BUSY',
        `too many connections (${this.options.maxConnections})`,
      );
      this.observer.errorReplied(busy.code);
      const refused = this.busyRefusals.count();
      if (refused > 0) {
        const { maxConnections } = this.options;
        this.log.warn({ msg: 'connections refused: BUSY', peer, maxConnections, refused });
      }
      socket.on('error', () => socket.destroy());
      socket.end(replyText(busy) + '\n', () => socket.destroy());
      return;
    }
    const client: Client = { conn: ++this.lastConnection, peer };
    const connection = new ProtocolSocket(
      socket,
      (frame) => this.handleFrame(frame, socket, client),
      this.options.socket,
      INTERNAL_REPLY,
      (text) => isCompleteRequest(text, this.options.parse),
    );
    this.connections.add(connection);
    this.observer.connectionOpened();
    this.log.debug({ msg: 'connection opened', conn: client.conn, peer });
    const { idleTimeoutMs } = this.options.socket;
    if (idleTimeoutMs > 0) {
      socket.on('timeout', () =>
        this.log.log({ msg: 'idle connection closed', conn: client.conn, peer, idleTimeoutMs }),
      );
    }
    socket.once('close', () => {
      this.connections.delete(connection);
      this.observer.connectionClosed();
      // Bad messages held back since the last warning are told, not lost.
      const errors = client.complaints?.heldBack ?? 0;
      if (errors > 0) {
        this.log.log({
          msg: 'connection closed after bad requests',
          conn: client.conn,
          peer,
          errors,
        });
      }
      this.log.debug({ msg: 'connection closed', conn: client.conn, peer });
    });
  }

  private handleFrame(frame: Frame, socket: Socket, client: Client): string | Promise<string> {
    const context = this.contextFor(socket, client.conn);
    const event = context.getEvent();
    if (frame.kind === 'error') {
      event.request(null, NO_INDICES);
      return this.refused(client, context, frame.error);
    }
    let request: Request;
    let route: Route | undefined;
    try {
      request = parseRequest(frame.text, this.options.parse);
      event.request(request.op, request.op === 'CLR' ? NO_INDICES : request.indices);
      route = this.routes.get(request.op);
      if (route === undefined) {
        throw new ProtocolError('UNKNOWN_OP', `OP ${request.op} is not served here`);
      }
    } catch (error) {
      if (event.op === null) event.request(readableOp(frame.text), NO_INDICES);
      return this.refused(client, context, error);
    }
    // Outside the try: the call answers (and records) whatever happens in it, exactly once.
    this.options.events.lend(request, event);
    return this.call(route, request, client, context);
  }

  private contextFor(socket: Socket, connectionId: number): SemicolonContext {
    const { events } = this.options;
    const context = this.spareContexts.pop() ?? new SemicolonContext(events.take());
    context.assign(socket, connectionId);
    context.getEvent().begin(connectionId, performance.now(), events.defaultSource);
    return context;
  }

  /**
   * A message the transport could not take (too long, not a request, an OP not served here): the
   * client does not speak the protocol, which is worth a warning, but not one per message.
   */
  private refused(client: Client, context: SemicolonContext, error: unknown): string {
    if (error instanceof ProtocolError) {
      const errors = (client.complaints ??= new Throttle(COMPLAINT_INTERVAL_MS)).count();
      if (errors > 0) {
        const { conn, peer } = client;
        const { code, message } = error;
        this.log.warn({ msg: 'bad requests', conn, peer, code, error: message, errors });
      }
    }
    return this.failed(client, context, error);
  }

  /**
   * Calls the route's handler. A reply given at once (only a direct call can) is answered in this
   * turn; a promise or an observable is waited for. Whatever is thrown or rejected with is
   * answered by `failed`, as Nest's pipeline with ProtocolErrorFilter hands it on.
   */
  private call(
    route: Route,
    request: unknown,
    client: Client,
    context: SemicolonContext,
  ): string | Promise<string> {
    let result: unknown;
    try {
      result = route.call(request, context);
    } catch (error) {
      return this.failed(client, context, error);
    }
    if (!isObservable(result) && !isPromiseLike(result)) {
      return this.succeeded(client, context, result as Reply);
    }
    return awaited(result).then(
      (reply) => this.succeeded(client, context, reply),
      (error: unknown) => this.failed(client, context, error),
    );
  }

  /**
   * The handler's reply, serialized before anything is recorded: what a handler gives that is
   * no reply to send (a string, `{}`, a reply missing fields) is a bug answered by `failed`.
   */
  private succeeded(client: Client, context: SemicolonContext, reply: Reply): string {
    let text: string | undefined;
    try {
      text = serializeReply(reply);
    } catch (error) {
      return this.failed(client, context, error);
    }
    if (typeof text !== 'string') {
      return this.failed(client, context, new TypeError('the handler gave no reply to send'));
    }
    if (reply.op === 'ERR') {
      context.getEvent().fail(reply.code, reply.message);
      this.observer.errorReplied(reply.code);
    }
    this.recorded(client, context);
    return text;
  }

  private failed(client: Client, context: SemicolonContext, error: unknown): string {
    const protocolError =
      error instanceof ProtocolError ? error : new ProtocolError('INTERNAL', 'internal error');
    const event = context.getEvent();
    if (protocolError !== error) {
      this.log.error({ msg: 'request failed', conn: client.conn, op: event.op, err: error });
    }
    const code: ErrorCode = protocolError.code;
    event.fail(code, protocolError.message);
    this.observer.errorReplied(code);
    this.recorded(client, context);
    return replyText(protocolError);
  }

  /**
   * The reply is ready: the request's metrics, its event recorded (copied), the debug or slow
   * line, and the context back for a later request.
   */
  private recorded(client: Client, context: SemicolonContext): void {
    const { events } = this.options;
    const event = context.getEvent();
    events.reclaim(event);
    const ended = performance.now();
    event.finish(ended);
    const op = event.op ?? 'none';
    const seconds = (ended - event.startedAt) / 1000;
    this.observer.requestCompleted(op, event.outcome, seconds, event.source);
    events.commit(event);
    this.answered++;
    if (this.logRequests) {
      this.logRequest(client, op, event.outcome === 'ok' ? 'ok' : event.code!, seconds);
    }
    if (event.durationUs > this.slowRequestUs) this.slowRequest(event, events);
    context.assign(undefined, 0);
    if (this.spareContexts.length < MAX_SPARE_CONTEXTS) this.spareContexts.push(context);
  }

  private slowRequest(event: EventView, events: EventLog): void {
    const slowRequests = this.slowRequests.count();
    if (slowRequests > 0) this.log.warn({ ...slowRequestFields(event, events), slowRequests });
  }

  private logRequest(client: Client, op: string, outcome: string, seconds: number): void {
    const ms = Math.round(seconds * 1e6) / 1e3;
    this.log.debug({ msg: 'request', conn: client.conn, op, outcome, ms });
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** A handler's result, however it comes: a value, a promise of one, or an observable's last. */
async function awaited(result: unknown): Promise<Reply> {
  const value = await result;
  return (isObservable(value) ? await lastValueFrom(value) : value) as Reply;
}

const OP_FIELD = /(?:^|;)\s*op\s*=\s*(get|put|clr|add)\s*(?:;|$)/i;

/** The OP of a request that failed to parse, where it can be read (its event's and metrics' op). */
function readableOp(text: string): string | null {
  return OP_FIELD.exec(text)?.[1].toUpperCase() ?? null;
}
