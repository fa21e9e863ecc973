import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const REQUEST = /^OP=(GET|PUT|ADD);IND=([\d,]+);/;

/**
 * `bench --record FILE`: every request the bench sends, as one line of NDJSON in the order its
 * reply arrives, with the fields of a decision event that `semicache simulate` reads:
 * `{"op":"GET","indices":[3],"outcome":"ok"}` (`error` for an error reply).
 */
export class TraceRecorder {
  private constructor(private readonly stream: Writable) {}

  /** Creates (or empties) `file`; fails at once if it cannot. */
  static async create(file: string): Promise<TraceRecorder> {
    const handle = await open(file, 'w');
    return new TraceRecorder(handle.createWriteStream());
  }

  record(message: string, reply: string): void {
    const request = REQUEST.exec(message);
    if (request === null) return;
    const outcome = reply.startsWith('OP=ERR;') ? 'error' : 'ok';
    this.stream.write(`{"op":"${request[1]}","indices":[${request[2]}],"outcome":"${outcome}"}\n`);
  }

  /** Writes out what is buffered and closes the file. */
  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }
}
