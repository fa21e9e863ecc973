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
  private pending: Buffer | null = null;
  private discarding = false;

  constructor(readonly maxLength: number = DEFAULT_MAX_MESSAGE_LENGTH) {}

  /** Feeds one chunk; returns the frames it completes, in order (appended to `out` if given). */
  push(chunk: Buffer, out: Frame[] = []): Frame[] {
    const buffer = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let start = 0;
    for (let lf = buffer.indexOf(LF, start); lf !== -1; lf = buffer.indexOf(LF, start)) {
      if (this.discarding) {
        this.discarding = false;
      } else {
        const end = lf > start && buffer[lf - 1] === CR ? lf - 1 : lf;
        this.emit(buffer, start, end, out);
      }
      start = lf + 1;
    }
    const rest = buffer.length - start;
    if (rest > 0 && !this.discarding) {
      // One byte of slack: a message of exactly maxLength may still be waiting for its CRLF's LF.
      if (rest > this.maxLength + 1) {
        out.push(this.tooLong());
        this.discarding = true;
      } else {
        this.pending = Buffer.from(buffer.subarray(start));
      }
    }
    return out;
  }

  /** True while part of a message has arrived without its terminator. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** True when the unterminated bytes end like a complete message (with `;`, ignoring spaces). */
  get pendingLooksComplete(): boolean {
    const pending = this.pending;
    if (pending === null) return false;
    for (let i = pending.length - 1; i >= 0; i--) {
      const byte = pending[i];
      if (byte === 0x20 || byte === 0x09 || byte === CR) continue;
      return byte === SEMICOLON;
    }
    return false;
  }

  /**
   * Takes the unterminated bytes as a message: the rule for clients that send one bare message
   * and wait (SPEC §2.4). The caller decides when, after a pause.
   */
  flushPending(): Frame | undefined {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return undefined;
    const end = pending[pending.length - 1] === CR ? pending.length - 1 : pending.length;
    const out: Frame[] = [];
    this.emit(pending, 0, end, out);
    return out[0];
  }

  private emit(buffer: Buffer, start: number, end: number, out: Frame[]): void {
    if (end - start > this.maxLength) {
      out.push(this.tooLong());
    } else if (end > start) {
      out.push({ kind: 'message', text: buffer.toString('latin1', start, end) });
    }
  }

  private tooLong(): Frame {
    return {
      kind: 'error',
      error: new ProtocolError('TOO_LONG', `message is longer than ${this.maxLength} bytes`),
    };
  }
}
