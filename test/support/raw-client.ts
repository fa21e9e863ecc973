import { connectWithin } from '@semicache/client';
import type { Socket } from 'node:net';
import type { Endpoint } from './processes';

const open = new Set<RawClient>();

/**
 * A bare TCP client that writes exactly the bytes it is given (no terminator added, any bytes,
 * including invalid UTF-8) and reads the peer's reply lines as they come. Used where
 * `ProtocolConnection` is too polite: bare messages, raw bytes, one-write bursts, BUSY replies.
 */
export class RawClient {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      const buffer = this.buffer + text;
      let start = 0;
      for (let lf = buffer.indexOf('\n'); lf !== -1; lf = buffer.indexOf('\n', start)) {
        this.lines.push(buffer.slice(start, lf));
        start = lf + 1;
      }
      this.buffer = buffer.slice(start);
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(endpoint: Endpoint, timeoutMs = 5000): Promise<RawClient> {
    const client = new RawClient(await connectWithin(endpoint.host, endpoint.port, timeoutMs));
    open.add(client);
    void client.whenClosed().then(() => open.delete(client));
    return client;
  }

  /** True once the socket has closed (by either side). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Bytes received after the last line feed (a reply without its terminator). */
  get unterminated(): string {
    return this.buffer;
  }

  /** Lines received and not yet read. */
  get available(): number {
    return this.lines.length;
  }

  /** Writes exactly these bytes (a string is sent as UTF-8). */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Half-closes: the peer sees end of input (as `printf ... | nc` does). */
  end(data?: string | Buffer): void {
    if (data === undefined) this.socket.end();
    else this.socket.end(data);
  }

  /**
   * Resolves with the next `count` reply lines (without terminators). Rejects if the
   * connection closes first or they do not all come within `timeoutMs`.
   */
  async readLines(count: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (this.closedFlag) {
        throw new Error(
          `connection closed after ${this.lines.length} of ${count} line(s); unterminated: ${JSON.stringify(this.buffer)}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`only ${this.lines.length} of ${count} line(s) within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.splice(0, count);
  }

  async readLine(timeoutMs = 10_000): Promise<string> {
    return (await this.readLines(1, timeoutMs))[0];
  }

  /** Writes one message with a line feed and resolves with the next reply line. */
  async request(message: string | Buffer, timeoutMs = 10_000): Promise<string> {
    this.write(
      typeof message === 'string' ? message + '\n' : Buffer.concat([message, Buffer.from('\n')]),
    );
    return this.readLine(timeoutMs);
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

export function closeAllRawClients(): void {
  for (const client of open) client.close();
  open.clear();
}
