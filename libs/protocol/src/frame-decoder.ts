import { ProtocolError } from './errors';

/** 64 KiB: the default bound on one message (SPEC §2.4). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 64 * 1024;

export type Frame =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'error'; readonly error: ProtocolError };

const LF = 0x0a;
const CR = 0x0d;
const SEMICOLON = 0x3b;

/**
 * Streaming framer: bytes in, whole messages out. A message ends with LF or CRLF; blank lines
 * are skipped. A message longer than `maxLength` bytes becomes one TOO_LONG frame and its bytes
 * are dropped up to the next terminator, so memory stays bounded by `maxLength`.
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

  constructor(readonly maxLength: number = DEFAULT_MAX_MESSAGE_LENGTH) {}

  /** Feeds one chunk; returns the frames it completes, in order (appended to `out` if given). */
  push(chunk: Buffer, out: Frame[] = []): Frame[] {
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
      if (this.discarding) {
        this.discarding = false;
      } else if (this.pendingLength + lf - start > this.maxLength + 1) {
        out.push(this.tooLong());
      } else {
        this.emit(this.takeLine(chunk.subarray(start, lf)), out);
      }
      this.clearPending();
      start = lf + 1;
    }
    const rest = chunk.length - start;
    if (rest > 0 && !this.discarding) {
      // One byte of slack: a message of exactly maxLength may still be waiting for its CRLF's LF.
      if (this.pendingLength + rest > this.maxLength + 1) {
        out.push(this.tooLong());
        this.discarding = true;
        this.clearPending();
      } else {
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingLength += rest;
      }
    }
    return out;
  }

  /** True while part of a message has arrived without its terminator. */
  get hasPending(): boolean {
    return this.pendingLength > 0;
  }

  /** True while the rest of a too-long message is being dropped, up to its terminator. */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  /** True when the unterminated bytes end like a complete message (with `;`, ignoring spaces). */
  get pendingLooksComplete(): boolean {
    for (let c = this.pending.length - 1; c >= 0; c--) {
      const part = this.pending[c];
      for (let i = part.length - 1; i >= 0; i--) {
        const byte = part[i];
        if (byte === 0x20 || byte === 0x09 || byte === CR) continue;
        return byte === SEMICOLON;
      }
    }
    return false;
  }

  /**
   * Takes the unterminated bytes as a message: the rule for clients that send one bare message
   * and wait (SPEC §2.4). The caller decides when, after a pause. A pause also ends the dropping
   * of a too-long message (already answered with TOO_LONG), so a bare client's next message counts.
   */
  flushPending(): Frame | undefined {
    this.discarding = false;
    if (this.pendingLength === 0) return undefined;
    const line = this.takeLine(Buffer.alloc(0));
    this.clearPending();
    const out: Frame[] = [];
    this.emit(line, out);
    return out[0];
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
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (end > this.maxLength) {
      out.push(this.tooLong());
    } else if (end > 0) {
      out.push({ kind: 'message', text: line.toString('latin1', 0, end) });
    }
  }

  private tooLong(): Frame {
    return {
      kind: 'error',
      error: new ProtocolError('TOO_LONG', `message is longer than ${this.maxLength} bytes`),
    };
  }
}
