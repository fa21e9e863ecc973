import { FrameDecoder, type Frame, DEFAULT_MAX_MESSAGE_LENGTH } from '@semicache/protocol';
import { connect, type Socket } from 'node:net';

/** The connection closed (or failed) before a reply came. */
export class ConnectionClosedError extends Error {
  constructor(message = 'connection closed before the reply') {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

interface Waiter {
  resolve(reply: string): void;
  reject(error: Error): void;
}

/**
 * One client-side connection speaking the line protocol: requests are written as they come and
 * replies are matched to them in order, so many can be in flight (pipelining). When the socket
 * closes, every waiting request fails. No NestJS here: the CLI and the benchmark use it as is.
 */
export class ProtocolConnection {
  private readonly decoder: FrameDecoder;
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private readonly frames: Frame[] = [];
  private closedError: Error | undefined;
  private lastReplyAt = Date.now();

  private constructor(
    readonly socket: Socket,
    maxReplyLength: number,
  ) {
    this.decoder = new FrameDecoder(maxReplyLength);
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
    maxReplyLength = DEFAULT_MAX_MESSAGE_LENGTH * 16,
  ): Promise<ProtocolConnection> {
    return new ProtocolConnection(await connectWithin(host, port, timeoutMs), maxReplyLength);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Requests written whose replies have not come yet. */
  get inFlight(): number {
    return this.waiters.length - this.head;
  }

  /** When the last reply arrived (ms since epoch): tells a slow peer from a dead one. */
  get lastReplyTime(): number {
    return this.lastReplyAt;
  }

  /** Sends one message (without terminator) and resolves with the raw reply line. */
  send(message: string): Promise<string> {
    return this.sendEach([message])[0];
  }

  /** Sends several messages in one write; resolves with their replies in order. */
  sendBatch(messages: readonly string[]): Promise<string[]> {
    return Promise.all(this.sendEach(messages));
  }

  /**
   * Sends several messages in one write; each promise settles when its own reply arrives (so a
   * caller can time every reply, or act on the first before the others are in).
   */
  sendEach(messages: readonly string[]): Promise<string>[] {
    const closedError = this.closedError;
    if (closedError !== undefined) return messages.map(() => Promise.reject(closedError));
    // Nothing was awaited until now, so the silence so far says nothing about the peer.
    if (this.inFlight === 0) this.lastReplyAt = Date.now();
    const replies = messages.map(
      (): Promise<string> =>
        new Promise((resolve, reject) => this.waiters.push({ resolve, reject })),
    );
    this.socket.write(messages.join('\n') + '\n');
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
    const frames = this.decoder.push(chunk, this.frames);
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      if (frame.kind === 'error' || this.head === this.waiters.length) {
        // A reply too long to frame, or one nobody asked for: the stream can no longer be
        // matched to requests, so give up on the connection.
        this.socket.destroy();
        this.fail(
          new ConnectionClosedError(
            frame.kind === 'error'
              ? `the peer sent a reply longer than ${this.decoder.maxLength} bytes`
              : 'the peer sent a reply that matches no request',
          ),
        );
        break;
      }
      this.lastReplyAt = Date.now();
      const waiter = this.waiters[this.head++];
      waiter.resolve(frame.text);
    }
    frames.length = 0;
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }

  private fail(error: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    const waiting = this.waiters.splice(this.head);
    this.waiters.length = 0;
    this.head = 0;
    for (const waiter of waiting) waiter.reject(error);
  }
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
