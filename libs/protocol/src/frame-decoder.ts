import { ProtocolError } from './errors';

/** 64 KiB: the default bound on one message, so that no message can use memory without end. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 64 * 1024;
/**
 * 50 ms: the default short pause after which unterminated input that is a whole message is taken
 * as one (a bare request at a server, a bare reply at a client).
 */
export const DEFAULT_BARE_MESSAGE_DELAY_MS = 50;

export type Frame =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'error'; readonly error: ProtocolError };

const LF = 0x0a;
const CR = 0x0d;
const SEMICOLON = 0x3b;

/**
 * Streaming framer: bytes in, whole messages out. A message ends with LF or CRLF; blank lines
 * are skipped. A message longer than `maxLength` bytes is not kept: its bytes are dropped as they
 * come and it becomes one TOO_LONG frame where it ends, so memory stays bounded by `maxLength`.
 *
 * Bytes are decoded as latin1 (one char per byte) so that the parser, not the framer, rejects
 * anything that is not printable ASCII.
 */
export class FrameDecoder {
  // Unterminated bytes, kept as the chunks they came in: joined once, when their line ends, so
  // a message trickling in a byte at a time costs linear time, not quadratic.
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;
  private discardedEndsWithSemicolon = false;

  constructor(readonly maxLength: number = DEFAULT_MAX_MESSAGE_LENGTH) {}

  /** Feeds one chunk; returns the frames it completes, in order (appended to `out` if given). */
  push(chunk: Buffer, out: Frame[] = []): Frame[] {
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
      if (this.discarding || this.pendingLength + lf - start > this.maxLength + 1) {
        out.push(this.tooLong());
        this.discarding = false;
      } else {
        this.emit(this.takeLine(chunk.subarray(start, lf)), out);
      }
      this.clearPending();
      start = lf + 1;
    }
    if (start === chunk.length) return out;
    // One byte of slack: a message of exactly maxLength may still be waiting for its CRLF's LF.
    if (!this.discarding && this.pendingLength + chunk.length - start > this.maxLength + 1) {
      // Too long: its bytes are dropped, and TOO_LONG answers it once it ends (terminator or
      // pause), so a client's next message is never taken for the rest of this one. How the
      // dropped bytes end still tells which pause ends it.
      this.discardedEndsWithSemicolon = this.pendingLooksComplete;
      this.discarding = true;
      this.clearPending();
    }
    if (this.discarding) {
      this.noteDiscardedTail(chunk, start);
    } else {
      this.pending.push(Buffer.from(chunk.subarray(start)));
      this.pendingLength += chunk.length - start;
    }
    return out;
  }

  /** True while part of a message (possibly a too-long one) has arrived without its terminator. */
  get hasPending(): boolean {
    return this.pendingLength > 0 || this.discarding;
  }

  /** True when the unterminated bytes end like a complete message (with `;`, ignoring spaces). */
  get pendingLooksComplete(): boolean {
    if (this.discarding) return this.discardedEndsWithSemicolon;
    for (let c = this.pending.length - 1; c >= 0; c--) {
      const last = lastSignificantByte(this.pending[c], 0);
      if (last !== undefined) return last === SEMICOLON;
    }
    return false;
  }

  /**
   * The unterminated bytes as the message flushPending would give, without taking them; undefined
   * if there are none or they are too long. Lets the caller ask the parser whether they already
   * are a whole message. Joins the chunks once: a later peek or flush reuses the result.
   */
  peekPending(): string | undefined {
    if (this.discarding || this.pendingLength === 0) return undefined;
    const frame = this.frameOf(this.joinPending());
    return frame?.kind === 'message' ? frame.text : undefined;
  }

  /**
   * Takes the unterminated bytes as a message: the rule for clients that send one bare message
   * and wait. The caller decides when, after a pause. A too-long one gives TOO_LONG.
   */
  flushPending(): Frame | undefined {
    if (this.discarding) {
      this.discarding = false;
      return this.tooLong();
    }
    if (this.pendingLength === 0) return undefined;
    const line = this.joinPending();
    this.clearPending();
    return this.frameOf(line);
  }

  private joinPending(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0];
  }

  private noteDiscardedTail(chunk: Buffer, start: number): void {
    const last = lastSignificantByte(chunk, start);
    if (last !== undefined) this.discardedEndsWithSemicolon = last === SEMICOLON;
  }

  private takeLine(tail: Buffer): Buffer {
    return this.pendingLength === 0 ? tail : Buffer.concat([...this.pending, tail]);
  }

  private clearPending(): void {
    if (this.pendingLength > 0) {
      this.pending = [];
      this.pendingLength = 0;
    }
  }

  private emit(line: Buffer, out: Frame[]): void {
    const frame = this.frameOf(line);
    if (frame !== undefined) out.push(frame);
  }

  /** One line without its terminator as a frame; undefined for a blank line. */
  private frameOf(line: Buffer): Frame | undefined {
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (end > this.maxLength) return this.tooLong();
    return end > 0 ? { kind: 'message', text: line.toString('latin1', 0, end) } : undefined;
  }

  private tooLong(): Frame {
    return {
      kind: 'error',
      error: new ProtocolError('TOO_LONG', `message is longer than ${this.maxLength} bytes`),
    };
  }
}

/** The last byte of `buffer` from `start` on that is not a space, tab or CR, if any. */
function lastSignificantByte(buffer: Buffer, start: number): number | undefined {
  for (let i = buffer.length - 1; i >= start; i--) {
    const byte = buffer[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return byte;
  }
  return undefined;
}
