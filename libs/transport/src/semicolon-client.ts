import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import {
  ConnectionClosedError,
  type Framing,
  ProtocolConnection,
  ReplyTimeoutError,
} from '@semicache/client';
import {
  DEFAULT_BARE_MESSAGE_DELAY_MS,
  ProtocolError,
  type ReplyFor,
  type Request,
  parseReply,
  replyMismatch,
  serializeRequest,
} from '@semicache/protocol';
import { performance } from 'node:perf_hooks';
import { secondsSince } from './transport-observer';
import { UpstreamLog, failureReason } from './upstream-log';

export const UPSTREAM_OUTCOMES = ['ok', 'error', 'timeout', 'unavailable'] as const;
export type UpstreamOutcome = (typeof UPSTREAM_OUTCOMES)[number];
export type UpstreamStatus = 'connected' | 'disconnected';

export interface UpstreamObserver {
  stateChanged(up: boolean): void;
  requestCompleted(op: string, outcome: UpstreamOutcome, seconds: number): void;
}

export interface SemicolonClientOptions {
  readonly host: string;
  readonly port: number;
  /** A request with no reply after this long fails with UPSTREAM_TIMEOUT. */
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** The longest reply accepted; a longer one breaks the reply order, so the connection is dropped. */
  readonly maxReplyLength: number;
  /** How requests are framed (`auto` unless given; see `Framing`). */
  readonly framing?: Framing;
  /** Bare replies: the pause after which what came is taken as the reply (the short pause unless given). */
  readonly replyPauseMs?: number;
  /** Reconnection backoff: doubles from min to max, with jitter. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly observer?: UpstreamObserver;
}

/**
 * A request to the server that failed for want of the server. `wasSent` tells whether it was
 * sent: if so the server may still have applied it (a write's outcome is unknown).
 */
export class UpstreamError extends ProtocolError {
  constructor(
    code: 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT',
    message: string,
    readonly wasSent: boolean,
  ) {
    super(code, message);
  }
}

const NO_UPSTREAM_OBSERVER: UpstreamObserver = {
  stateChanged: () => undefined,
  requestCompleted: () => undefined,
};

/**
 * A NestJS `ClientProxy` speaking the semicolon protocol to the server over one connection,
 * pipelined when the server reads lines (replies match requests in order, so the server sees the
 * proxy's requests in the order they were sent), one request at a time with a bare peer. It
 * reconnects with backoff when the server goes away and fails fast while it is away; `request()`
 * is the direct, typed call used on the hot path, `send()` the Nest one.
 */
export class SemicolonClient extends ClientProxy<Record<never, never>, UpstreamStatus> {
  private readonly observer: UpstreamObserver;
  private readonly stateLog: UpstreamLog;
  private connection: ProtocolConnection | undefined;
  /** Why the current connection is closing, once known (its error, or our own reason). */
  private closeReason: string | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private stopped = true;

  constructor(readonly options: SemicolonClientOptions) {
    super();
    this.observer = options.observer ?? NO_UPSTREAM_OBSERVER;
    this.stateLog = new UpstreamLog(this.target);
    this._status$.next('disconnected');
  }

  get target(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get isUp(): boolean {
    return this.connection !== undefined;
  }

  /** Starts connecting (and reconnecting); resolves after the first attempt, never rejects. */
  connect(): Promise<void> {
    this.stopped = false;
    if (this.connection !== undefined) return Promise.resolve();
    if (this.connecting === undefined && this.reconnectTimer === undefined) {
      this.connecting = this.attempt();
    }
    return this.connecting ?? Promise.resolve();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.connection?.close();
  }

  unwrap<T>(): T {
    return this.connection?.socket as T;
  }

  /** Sends one request upstream; resolves with its reply, or rejects with a `ProtocolError`. */
  async request<R extends Request>(request: R): Promise<ReplyFor[R['op']]> {
    const connection = this.connection;
    const started = performance.now();
    // A connection that failed stays current until its socket has closed: nothing goes out on it.
    if (connection === undefined || connection.closed) {
      this.observer.requestCompleted(request.op, 'unavailable', 0);
      throw new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        `upstream ${this.target} is unreachable`,
        false,
      );
    }
    const timeoutMs = this.options.requestTimeoutMs;
    try {
      const text = await connection.send(serializeRequest(request), timeoutMs);
      const reply = this.parse(connection, request.op, text);
      if (reply.op === 'ERR') {
        this.observer.requestCompleted(request.op, 'error', secondsSince(started));
        throw new ProtocolError(reply.code, reply.message);
      }
      const mismatch = replyMismatch(request, reply);
      if (mismatch !== undefined) this.invalidReply(connection, request.op, mismatch);
      this.observer.requestCompleted(request.op, 'ok', secondsSince(started));
      return reply as ReplyFor[R['op']];
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      if (error instanceof ReplyTimeoutError) {
        this.observer.requestCompleted(request.op, 'timeout', secondsSince(started));
        // Nothing at all heard for a whole timeout: the connection is dead, not slow. A bare one
        // is kept all the same (many bare peers take one connection in their life): the late
        // reply is recognised and dropped. Until `auto` has had a reply, it is not known as bare.
        if (connection.framing !== 'bare' && Date.now() - connection.lastReplyTime >= timeoutMs)
          this.drop(connection, 'timeout');
        throw new UpstreamError(
          'UPSTREAM_TIMEOUT',
          `upstream ${this.target} did not answer within ${timeoutMs} ms`,
          error.wasSent,
        );
      }
      this.observer.requestCompleted(request.op, 'unavailable', secondsSince(started));
      throw new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        `upstream ${this.target} closed the connection before answering`,
        true,
      );
    }
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    return publishAsRequest((request) => this.request(request), packet, callback);
  }

  protected dispatchEvent(): Promise<never> {
    return Promise.reject(new Error('the semicolon protocol has no events'));
  }

  private parse(connection: ProtocolConnection, op: string, text: string) {
    try {
      return parseReply(text);
    } catch (error) {
      return this.invalidReply(connection, op, (error as Error).message);
    }
  }

  private invalidReply(connection: ProtocolConnection, op: string, why: string): never {
    // Pipelined, replies are matched by position: after a bad one, later ones cannot be trusted.
    // One request at a time, the next exchange starts afresh, so the connection is kept.
    this.observer.requestCompleted(op, 'unavailable', 0);
    if (connection.framing === 'line') this.drop(connection, 'invalid reply');
    throw new UpstreamError(
      'UPSTREAM_UNAVAILABLE',
      `upstream ${this.target} sent an invalid reply: ${why}`,
      true,
    );
  }

  private async attempt(): Promise<void> {
    try {
      const connection = await ProtocolConnection.open(
        this.options.host,
        this.options.port,
        this.options.connectTimeoutMs,
        {
          framing: this.options.framing ?? 'auto',
          maxReplyLength: this.options.maxReplyLength,
          replyPauseMs: this.options.replyPauseMs ?? DEFAULT_BARE_MESSAGE_DELAY_MS,
        },
      );
      if (this.stopped) return connection.close();
      this.connection = connection;
      this.closeReason = undefined;
      this._status$.next('connected');
      this.observer.stateChanged(true);
      this.stateLog.connected();
      connection.socket.once('error', (error) =>
        this.noteCloseReason(connection, failureReason(error)),
      );
      void connection.whenClosed().then(() => this.lost(connection));
    } catch (error) {
      // The only error of its own that opening throws is the connect timeout.
      const reason = error instanceof ConnectionClosedError ? 'timeout' : failureReason(error);
      const retryInMs = this.scheduleReconnect();
      if (retryInMs !== undefined) this.stateLog.attemptFailed(reason, retryInMs);
    } finally {
      this.connecting = undefined;
    }
  }

  private lost(connection: ProtocolConnection): void {
    // Late events from a connection already replaced are ignored.
    if (connection !== this.connection) return;
    this.connection = undefined;
    // A connection that closed before answering anything was a failed attempt: the backoff
    // goes on growing (a peer that accepts and closes at once is not retried at full speed).
    if (connection.hasAnswered) this.attempts = 0;
    this._status$.next('disconnected');
    this.observer.stateChanged(false);
    if (!this.stopped) this.stateLog.lost(this.closeReason ?? 'closed by the peer');
    this.scheduleReconnect();
  }

  /** Closes `connection` for `reason`, which the line telling it was lost then gives. */
  private drop(connection: ProtocolConnection, reason: string): void {
    this.noteCloseReason(connection, reason);
    connection.close();
  }

  private noteCloseReason(connection: ProtocolConnection, reason: string): void {
    if (connection === this.connection) this.closeReason ??= reason;
  }

  /** Returns the pause before the next attempt, or undefined once closed. */
  private scheduleReconnect(): number | undefined {
    if (this.stopped) return undefined;
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    const backoff = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** this.attempts);
    this.attempts++;
    const delay = backoff / 2 + (Math.random() * backoff) / 2;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.attempt();
    }, delay);
    return delay;
  }
}

/** Nest's `send(pattern, data)` as one protocol request, `pattern` being its OP. */
export function publishAsRequest(
  send: (request: Request) => Promise<unknown>,
  packet: ReadPacket,
  callback: (packet: WritePacket) => void,
): () => void {
  const request = { ...(packet.data as object), op: packet.pattern as Request['op'] } as Request;
  send(request).then(
    (response) => callback({ response, isDisposed: true }),
    (err: unknown) => callback({ err, isDisposed: true }),
  );
  return () => undefined;
}
