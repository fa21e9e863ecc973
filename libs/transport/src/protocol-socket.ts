import type { Socket } from 'node:net';
import { FrameDecoder, type Frame } from '@semicache/protocol';

export interface ProtocolSocketOptions {
  /** Longest message in bytes; longer ones get TOO_LONG. */
  readonly maxMessageLength: number;
  /**
   * Pause after which unterminated input that is a whole message (it ends in `;`, or it parses)
   * is taken as one (bare clients); also how long a graceful close waits for the rest of one.
   */
  readonly bareMessageDelayMs: number;
  /** Pause after which any other unterminated bytes are taken as a message (and most likely rejected). */
  readonly partialMessageTimeoutMs: number;
  /** A connection with no traffic for this long is closed; 0 keeps idle connections forever. */
  readonly idleTimeoutMs: number;
  /** Replies waiting to be written, per connection, before reading from it pauses. */
  readonly maxPendingReplies: number;
}

/** Turns one frame into its serialized reply (without terminator), now or later. */
export type FrameHandler = (frame: Frame) => string | Promise<string>;

/** Whether unterminated input (without its final `;`) already is a whole message: the parser's call. */
export type CompletenessTest = (text: string) => boolean;

interface ReplySlot {
  reply: string | undefined;
}

/**
 * Wraps one accepted TCP socket: frames the byte stream, hands every frame to the handler, and
 * writes the replies back in request order however the handlers finish. Consecutive ready
 * replies go out in one write. Reading pauses while the peer does not take its replies (socket
 * write buffer full) or while too many replies are outstanding, so a client that never reads
 * cannot make the process buffer without end.
 */
export class ProtocolSocket {
  private readonly decoder: FrameDecoder;
  private readonly slots: ReplySlot[] = [];
  private readonly frames: Frame[] = [];
  private output = '';
  private flushQueued = false;
  private writeBlocked = false;
  private paused = false;
  /** A graceful close was asked: reading goes on only to settle an unterminated message. */
  private closing = false;
  private ending = false;
  private closed: Promise<void> | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** The input has paused for the bare-message delay, and what is pending is not a whole message. */
  private pastBarePause = false;

  constructor(
    readonly socket: Socket,
    private readonly handle: FrameHandler,
    private readonly options: ProtocolSocketOptions,
    private readonly internalErrorReply: string,
    private readonly isComplete: CompletenessTest,
  ) {
    this.decoder = new FrameDecoder(options.maxMessageLength);
    socket.setNoDelay(true);
    // Keepalive probes find a peer that vanished (host down, cable out) even on a quiet connection.
    socket.setKeepAlive(true, 60_000);
    if (options.idleTimeoutMs > 0) {
      socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.updateFlow();
    });
    // The peer half-closed (e.g. `printf ... | nc`): answer everything it sent, then close.
    socket.on('end', () => void this.end(true));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.stopPauseTimer());
  }

  /**
   * Graceful close: answer what was received, then end the connection; resolves once the socket
   * is closed. Terminated messages are all there is unless input stopped without a terminator:
   * then reading goes on until the bare-message pause passes with no new byte, so the rest of a
   * message still arriving (`2;` of `OP=PUT;DATA=5;IND=12;`) is read, not cut off and applied
   * as `IND=1`. The unterminated input is then taken as a message, whole or not, and answered.
   */
  end(peerFinished = false): Promise<void> {
    this.closing = true;
    // Settled now if the peer has finished sending, or if the pause has passed already.
    if (peerFinished || this.pastBarePause) this.takePending();
    this.updateFlow();
    this.flush();
    this.closed ??= new Promise<void>((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    this.stopPauseTimer();
    const frames = this.decoder.push(chunk, this.frames);
    for (let i = 0; i < frames.length; i++) this.dispatch(frames[i]);
    frames.length = 0;
    // Closing, reading stops as soon as no message is left unterminated.
    if (this.closing) this.updateFlow();
    this.flush();
    if (!this.paused) this.armPauseTimerIfPending();
  }

  /**
   * A pause in the input is only a pause while we are reading: when we stop reading ourselves
   * (backpressure) the rest of a message may be waiting unread, so the timer waits too. The
   * question whether the input is whole waits for the pause as well, so it costs nothing while
   * bytes flow.
   */
  private armPauseTimerIfPending(): void {
    if (!this.decoder.hasPending) return;
    this.pauseTimer = setTimeout(() => this.onBarePause(), this.options.bareMessageDelayMs);
    this.pauseTimer.unref();
  }

  /** Input stopped without a terminator: take it if it is a whole message, else wait longer. */
  private onBarePause(): void {
    this.pauseTimer = undefined;
    if (this.closing || this.pendingIsWholeMessage()) return this.takePending();
    this.pastBarePause = true;
    const rest = this.options.partialMessageTimeoutMs - this.options.bareMessageDelayMs;
    this.pauseTimer = setTimeout(() => this.takePending(), Math.max(0, rest));
    this.pauseTimer.unref();
  }

  /** Ends in `;` (even a too-long message can tell), or parses as a message without it. */
  private pendingIsWholeMessage(): boolean {
    if (this.decoder.pendingLooksComplete) return true;
    const text = this.decoder.peekPending();
    return text !== undefined && this.isComplete(text);
  }

  /** Takes the unterminated input as a message (whole or not) and answers it. */
  private takePending(): void {
    this.stopPauseTimer();
    const frame = this.decoder.flushPending();
    if (frame === undefined) return;
    this.dispatch(frame);
    if (this.closing) this.updateFlow();
    this.flush();
  }

  private stopPauseTimer(): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.pastBarePause = false;
  }

  private dispatch(frame: Frame): void {
    let result: string | Promise<string>;
    try {
      result = this.handle(frame);
      // A handler's bug must cost one reply, not the process (`undefined.then`).
      if (typeof result !== 'string' && typeof result?.then !== 'function') {
        result = this.internalErrorReply;
      }
    } catch {
      result = this.internalErrorReply;
    }
    if (typeof result === 'string' && this.slots.length === 0) {
      this.output += result + '\n';
      return;
    }
    const slot: ReplySlot = { reply: typeof result === 'string' ? result : undefined };
    this.slots.push(slot);
    if (typeof result !== 'string') {
      result.then(
        (reply) => this.settle(slot, reply),
        () => this.settle(slot, this.internalErrorReply),
      );
    }
    this.updateFlow();
  }

  private settle(slot: ReplySlot, reply: string): void {
    // Anything but a string would leave the slot, and every reply after it, waiting for ever.
    slot.reply = typeof reply === 'string' ? reply : this.internalErrorReply;
    if (this.slots[0] !== slot) return;
    let ready = 0;
    while (ready < this.slots.length && this.slots[ready].reply !== undefined) {
      this.output += this.slots[ready].reply + '\n';
      ready++;
    }
    this.slots.splice(0, ready);
    // Replies settling in the same turn share one write.
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    this.updateFlow();
  }

  private flush(): void {
    if (this.output.length === 0) return this.endIfIdle();
    const output = this.output;
    this.output = '';
    if (!this.socket.writable) return;
    if (!this.socket.write(output)) {
      this.writeBlocked = true;
      this.updateFlow();
    }
    this.endIfIdle();
  }

  private updateFlow(): void {
    const shouldPause =
      (this.closing && !this.decoder.hasPending) ||
      this.writeBlocked ||
      this.slots.length >= this.options.maxPendingReplies;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.socket.pause();
      this.stopPauseTimer();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.socket.resume();
      this.armPauseTimerIfPending();
    }
  }

  private endIfIdle(): void {
    if (
      this.closing &&
      !this.ending &&
      !this.decoder.hasPending &&
      this.slots.length === 0 &&
      this.output.length === 0
    ) {
      this.ending = true;
      // Destroy once our last bytes are flushed: a peer that never closes its side cannot hold us.
      this.socket.end(() => this.socket.destroy());
    }
  }
}
