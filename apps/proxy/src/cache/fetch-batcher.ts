import { ProtocolError } from '@semicache/protocol';

/** Fetches `indices` from the server; `since` is the logical time the oldest asker began. */
export type FetchMany = (indices: number[], since: number) => Promise<Map<number, bigint>>;

interface Asker {
  readonly indices: readonly number[];
  readonly since: number;
  readonly resolve: (values: Map<number, bigint>) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces the misses of every request that arrives in one turn of the event loop into one
 * upstream GET (each index once). Under load that is one round trip to the server for many
 * clients. If the server refuses the combined request (say one index is out of its range),
 * each request is retried alone, so only the request that named the bad index gets the error.
 */
export class FetchBatcher {
  private waiting: Asker[] | undefined;

  constructor(private readonly fetchMany: FetchMany) {}

  fetch(indices: readonly number[], since: number): Promise<Map<number, bigint>> {
    return new Promise((resolve, reject) => {
      if (this.waiting === undefined) {
        this.waiting = [];
        // setImmediate runs after the I/O callbacks of this turn: every socket read so far joins.
        setImmediate(() => this.flush());
      }
      this.waiting.push({ indices, since, resolve, reject });
    });
  }

  /**
   * Sends what is waiting now. A write calls this before it goes upstream, so the server still
   * sees every request in the order the proxy received it.
   */
  flush(): void {
    const askers = this.waiting;
    if (askers === undefined) return;
    this.waiting = undefined;
    if (askers.length === 1) return this.fetchAlone(askers[0]);
    const indices = new Set<number>();
    let since = Number.POSITIVE_INFINITY;
    for (const asker of askers) {
      for (const index of asker.indices) indices.add(index);
      since = Math.min(since, asker.since);
    }
    this.fetchMany([...indices], since).then(
      (values) => askers.forEach((asker) => asker.resolve(values)),
      (error: unknown) => {
        // Refusals that one asker's part may have caused; anything else would fail alone too.
        const refused =
          error instanceof ProtocolError &&
          (error.code === 'BAD_INDEX' || error.code === 'TOO_LONG');
        if (refused) askers.forEach((asker) => this.fetchAlone(asker));
        else askers.forEach((asker) => asker.reject(error));
      },
    );
  }

  private fetchAlone(asker: Asker): void {
    this.fetchMany([...asker.indices], asker.since).then(asker.resolve, asker.reject);
  }
}
