import {
  DEFAULT_BARE_MESSAGE_DELAY_MS,
  DEFAULT_MAX_MESSAGE_LENGTH,
  FrameDecoder,
  type Frame,
  type Request,
  isCompleteReply,
  parseRequest,
} from '@semicache/protocol';
import { connect, type Socket } from 'node:net';

/**
 * How a connection frames its requests and reads its replies (docs/interop.md):
 * - `line`: every request ends with `\n`, many in flight, a reply is a line;
 * - `bare`: no terminator, one request in flight (the rest wait their turn), a reply is complete
 *   when it parses as the whole reply to the request, or after the short pause;
 * - `auto`: the first request goes alone, ended by `\r\n`; if its reply comes back as one line
 *   ended by a lone `\n` the connection is `line` from then on, otherwise `bare`.
 */
export const FRAMINGS = ['line', 'bare', 'auto'] as const;
export type Framing = (typeof FRAMINGS)[number];

export interface ConnectionOptions {
  /** `line` unless given. */
  readonly framing?: Framing;
  /** The longest reply accepted; a longer one closes the connection. */
  readonly maxReplyLength?: number;
  /** Replies read without a terminator: the pause after which what came is taken as the reply. */
  readonly replyPauseMs?: number;
}

/** The connection closed (or failed) before a reply came. */
export class ConnectionClosedError extends Error {
  constructor(message = 'connection closed before the reply') {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

/** No reply came within the request's timeout. If `wasSent`, the peer may have applied it. */
export class ReplyTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly wasSent: boolean,
  ) {
    super(`no reply within ${timeoutMs} ms`);
    this.name = 'ReplyTimeoutError';
  }
}

/** The promise of one reply. */
interface Waiter {
  resolve(reply: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** One request at a time: a request, the promise of its reply, and what its reply is read against. */
interface Exchange {
  readonly waiter: Waiter;
  readonly message: string;
  /** How many reply bytes had come when it was written. */
  writtenAt: number;
  /** The message read as a request, once a reply is weighed against it (null: not a request). */
  request?: Request | null;
}

/** At most this many timed-out requests are remembered, to recognise their late replies. */
const MAX_ABANDONED = 16;
const LF = 0x0a;
const CR = 0x0d;
const SEMICOLON = 0x3b;

/**
 * One client-side connection speaking the semicolon protocol. With `line` framing requests are
 * written as they come and replies matched to them in order, so many can be in flight
 * (pipelining); with `bare` framing one request is in flight at a time and its reply needs no
 * terminator (peers that read one message per `recv`); `auto` picks one of the two from the first
 * reply. When the socket closes, every waiting request fails. No NestJS here: the CLI and the
 * benchmark use it as is.
 */
export class ProtocolConnection {
  private framingNow: Framing;
  private readonly maxReplyLength: number;
  private readonly replyPauseMs: number;
  private closedError: Error | undefined;
  private lastReplyAt = Date.now();
  private answeredOnce = false;

  // Line framing: every request written, answered in order.
  private readonly decoder: FrameDecoder;
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private readonly frames: Frame[] = [];

  // One request at a time: those waiting their turn, the one written, and those that timed out
  // after they were written (their replies may still come, and are recognised and dropped).
  private readonly queue: Exchange[] = [];
  private queueHead = 0;
  private current: Exchange | undefined;
  private readonly abandoned: Exchange[] = [];
  /** Reply bytes not yet taken (latin1, one char per byte), and how many had come before them. */
  private reply = '';
  private replyOffset = 0;
  private pauseTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly socket: Socket,
    options: ConnectionOptions,
  ) {
    this.framingNow = options.framing ?? 'line';
    this.maxReplyLength = options.maxReplyLength ?? DEFAULT_MAX_MESSAGE_LENGTH * 16;
    this.replyPauseMs = options.replyPauseMs ?? DEFAULT_BARE_MESSAGE_DELAY_MS;
    this.decoder = new FrameDecoder(this.maxReplyLength);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new ConnectionClosedError(error.message)));
    socket.on('close', () => this.fail(new ConnectionClosedError()));
  }

  /** Opens a connection; rejects if it cannot be made within `timeoutMs`. */
  static async open(
    host: string,
    port: number,
    timeoutMs: number,
    options: ConnectionOptions = {},
  ): Promise<ProtocolConnection> {
    return new ProtocolConnection(await connectWithin(host, port, timeoutMs), options);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** The framing in use: `auto` until the first reply has decided it. */
  get framing(): Framing {
    return this.framingNow;
  }

  /** Whether any reply has come on this connection. */
  get hasAnswered(): boolean {
    return this.answeredOnce;
  }

  /** Requests given and not yet answered (nor timed out while waiting their turn). */
  get inFlight(): number {
    if (this.framingNow === 'line') return this.waiters.length - this.head;
    return this.queue.length - this.queueHead + (this.current === undefined ? 0 : 1);
  }

  /** When the last reply arrived (ms since epoch): tells a slow peer from a dead one. */
  get lastReplyTime(): number {
    return this.lastReplyAt;
  }

  /**
   * Sends one message (without terminator) and resolves with the raw reply. With `timeoutMs`,
   * rejects with `ReplyTimeoutError` if no reply has come by then; a reply that comes later is
   * dropped, and the connection stays usable.
   */
  send(message: string, timeoutMs?: number): Promise<string> {
    return this.sendEach([message], timeoutMs)[0];
  }

  /** Sends several messages in one write; resolves with their replies in order. */
  sendBatch(messages: readonly string[]): Promise<string[]> {
    return Promise.all(this.sendEach(messages));
  }

  /**
   * Sends several messages (in one write where the framing pipelines); each promise settles when
   * its own reply arrives (so a caller can time every reply, or act on the first before the
   * others are in).
   */
  sendEach(messages: readonly string[], timeoutMs?: number): Promise<string>[] {
    const closedError = this.closedError;
    if (closedError !== undefined) return messages.map(() => Promise.reject(closedError));
    // Nothing was awaited until now, so the silence so far says nothing about the peer.
    if (this.inFlight === 0) this.lastReplyAt = Date.now();
    const line = this.framingNow === 'line';
    // The pipelined path without timeouts (the benchmark) allocates nothing per request but its
    // promise and waiter.
    const replies =
      line && timeoutMs === undefined
        ? messages.map(
            (): Promise<string> =>
              new Promise((resolve, reject) =>
                this.waiters.push({ resolve, reject, timer: undefined }),
              ),
          )
        : messages.map((message) => this.enqueue(message, line, timeoutMs));
    if (line) this.socket.write(messages.join('\n') + '\n');
    else this.writeNext();
    return replies;
  }

  /** Closes the connection; waiting requests fail. */
  close(): void {
    this.socket.destroy();
    this.fail(new ConnectionClosedError('connection closed by the client'));
  }

  /** Resolves once the socket has fully closed. */
  whenClosed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private onData(chunk: Buffer): void {
    if (this.framingNow === 'line') this.readLines(chunk);
    else this.readUnterminated(chunk);
  }

  private enqueue(message: string, line: boolean, timeoutMs: number | undefined): Promise<string> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => this.timedOut(waiter, timeoutMs), timeoutMs);
      }
      if (line) this.waiters.push(waiter);
      else this.queue.push({ waiter, message, writtenAt: 0 });
    });
  }

  private readLines(chunk: Buffer): void {
    const frames = this.decoder.push(chunk, this.frames);
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      if (frame.kind === 'error' || this.head === this.waiters.length) {
        // A reply too long to frame, or one nobody asked for: the stream can no longer be
        // matched to requests, so give up on the connection.
        this.breakOff(
          frame.kind === 'error'
            ? `the peer sent a reply longer than ${this.decoder.maxLength} bytes`
            : 'the peer sent a reply that matches no request',
        );
        break;
      }
      this.noteReply();
      const waiter = this.waiters[this.head++];
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve(frame.text);
    }
    frames.length = 0;
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Writes the next waiting request when none is in flight (one request at a time). */
  private writeNext(): void {
    if (this.current !== undefined || this.queueHead === this.queue.length) return;
    const exchange = this.queue[this.queueHead++];
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    exchange.writtenAt = this.replyOffset + this.reply.length;
    this.current = exchange;
    // `auto` ends its requests with CRLF: a peer that echoes what it received then brings the CR
    // back with its reply, which semicache's own server never writes.
    this.socket.write(this.framingNow === 'auto' ? exchange.message + '\r\n' : exchange.message);
  }

  private timedOut(waiter: Waiter, timeoutMs: number): void {
    const current = this.current;
    let waiting = -1;
    for (let i = this.queueHead; i < this.queue.length && waiting === -1; i++) {
      if (this.queue[i].waiter === waiter) waiting = i;
    }
    if (waiting !== -1) {
      this.queue.splice(waiting, 1);
    } else if (current?.waiter === waiter) {
      // The connection is kept: the reply may still come, and is then recognised as late.
      this.current = undefined;
      if (this.abandoned.push(current) > MAX_ABANDONED) this.abandoned.shift();
      this.writeNext();
    }
    // On a pipelined connection a timed-out request keeps its place: its reply is dropped.
    waiter.reject(new ReplyTimeoutError(timeoutMs, waiting === -1));
  }

  /**
   * One request at a time: reply bytes gather until they hold a whole reply. Line terminators are
   * no frame boundary here (a peer may echo ours inside or after its reply), only a place where a
   * reply may end; bytes that come while no reply is awaited are dropped.
   */
  private readUnterminated(chunk: Buffer): void {
    if (this.reply.length === 0 && this.current === undefined && this.abandoned.length === 0) {
      this.replyOffset += chunk.length;
      return;
    }
    this.reply += chunk.toString('latin1');
    if (this.reply.length > this.maxReplyLength) {
      return this.breakOff(`the peer sent a reply longer than ${this.maxReplyLength} bytes`);
    }
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.takeReplies(false);
    if (this.reply.length > 0) {
      this.pauseTimer = setTimeout(() => this.takeReplies(true), this.replyPauseMs);
    }
  }

  /**
   * Takes every whole reply at the front of the bytes gathered (several may have come in one
   * read: a late one and the next), then, once the pause has passed, what is left as the reply to
   * the request in flight, whatever it is.
   */
  private takeReplies(pauseOver: boolean): void {
    this.pauseTimer = undefined;
    for (let front = this.frontReply(pauseOver); front; front = this.frontReply(pauseOver)) {
      this.take(front.target, front.text, front.length);
    }
    if (!pauseOver || this.reply.length === 0) return;
    const text = withoutTerminators(this.reply);
    const current = this.current;
    if (text !== '' && current !== undefined && this.cameAfter(current)) {
      // Not a reply to it, but what came: the caller says what is wrong with it.
      this.take(current, text, this.reply.length);
    } else {
      this.dropReplyBytes(this.reply.length);
    }
  }

  /**
   * The whole reply at the front of the bytes gathered, if there is one: it may end after any
   * `;` or line feed (or anywhere, once the pause has passed), and answers the request in flight
   * (if it came after that request was written) or one that timed out. Of the ends where it does,
   * the last is taken, with the blanks after it: extra fields are part of the reply, not the next.
   */
  private frontReply(
    pauseOver: boolean,
  ): { target: Exchange; text: string; length: number } | undefined {
    const raw = this.reply;
    let found: { target: Exchange; text: string; length: number } | undefined;
    for (let end = 1; end <= raw.length; end++) {
      const code = raw.charCodeAt(end - 1);
      if (code !== SEMICOLON && code !== LF && !(pauseOver && end === raw.length)) continue;
      const text = withoutTerminators(raw.slice(0, end));
      if (text === '') continue;
      if (found === undefined) {
        const target = this.replyTarget(text);
        if (target !== undefined) found = { target, text, length: end };
      } else if (answers(text, found.target)) {
        found = { target: found.target, text, length: end };
      }
    }
    if (found === undefined) return undefined;
    while (found.length < raw.length && isBlankByte(raw.charCodeAt(found.length))) found.length++;
    return found;
  }

  /** The request that `text`, the front of the bytes gathered, is the whole reply to, if any. */
  private replyTarget(text: string): Exchange | undefined {
    const current = this.current;
    if (current !== undefined && this.cameAfter(current) && answers(text, current)) return current;
    return this.abandoned.find((exchange) => answers(text, exchange));
  }

  /** Whether the bytes gathered (their first significant one) came after `exchange` was written. */
  private cameAfter(exchange: Exchange): boolean {
    let first = 0;
    while (first < this.reply.length && isBlankByte(this.reply.charCodeAt(first))) first++;
    return this.replyOffset + first >= exchange.writtenAt;
  }

  private take(target: Exchange, text: string, length: number): void {
    this.noteReply();
    if (target !== this.current) {
      // A late reply to a request that timed out: dropped, with those before it.
      this.abandoned.splice(0, this.abandoned.indexOf(target) + 1);
      this.dropReplyBytes(length);
      return;
    }
    // The reply to the request in flight: what came with it belongs to it, and a peer answering
    // one request at a time has answered (or dropped) every earlier one.
    const raw = this.reply;
    this.dropReplyBytes(this.reply.length);
    this.current = undefined;
    this.abandoned.length = 0;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    if (this.framingNow === 'auto') this.decideFraming(raw);
    clearTimeout(target.waiter.timer);
    target.waiter.resolve(text);
    this.writeNext();
  }

  /**
   * `auto`, on the first reply: one line ended by a lone `\n` (as semicache's own server writes)
   * means the peer reads lines, so requests are pipelined from now on; anything else (no
   * terminator, an echoed CR, a line feed inside the reply) means a bare peer.
   */
  private decideFraming(raw: string): void {
    if (raw.indexOf('\n') !== raw.length - 1 || raw.includes('\r')) {
      this.framingNow = 'bare';
      return;
    }
    this.framingNow = 'line';
    const waiting = this.queue.splice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    if (waiting.length === 0) return;
    for (const exchange of waiting) this.waiters.push(exchange.waiter);
    this.socket.write(waiting.map((exchange) => exchange.message).join('\n') + '\n');
  }

  private dropReplyBytes(length: number): void {
    this.replyOffset += length;
    this.reply = this.reply.slice(length);
  }

  private noteReply(): void {
    this.lastReplyAt = Date.now();
    this.answeredOnce = true;
  }

  private breakOff(why: string): void {
    this.socket.destroy();
    this.fail(new ConnectionClosedError(why));
  }

  private fail(error: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    clearTimeout(this.pauseTimer);
    const waiting = [
      ...this.waiters.splice(this.head),
      ...(this.current === undefined ? [] : [this.current.waiter]),
      ...this.queue.splice(this.queueHead).map((exchange) => exchange.waiter),
    ];
    this.waiters.length = 0;
    this.head = 0;
    this.queue.length = 0;
    this.queueHead = 0;
    this.current = undefined;
    this.abandoned.length = 0;
    for (const waiter of waiting) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

/** Whether `text` is the whole reply to the exchange's message (to any message that is no request). */
function answers(text: string, exchange: Exchange): boolean {
  if (exchange.request === undefined) {
    try {
      exchange.request = parseRequest(exchange.message);
    } catch {
      exchange.request = null;
    }
  }
  return isCompleteReply(text, exchange.request ?? undefined);
}

function withoutTerminators(raw: string): string {
  return raw.replace(/[\r\n]/g, '').trim();
}

function isBlankByte(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === CR || code === LF;
}

/**
 * Opens a TCP connection; rejects with the socket's error, or with `ConnectionClosedError` if it
 * is not made within `timeoutMs`.
 */
export function connectWithin(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionClosedError(`no connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
