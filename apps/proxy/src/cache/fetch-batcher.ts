import { ProtocolError } from '@semicache/protocol';

/** What the batcher asks of the cache service. */
export interface Fetcher {
  /** One upstream GET of `indices`; `since` is when the oldest read waiting for them started. */
  fetch(indices: number[], since: number): Promise<Map<number, bigint>>;
  /** Whether a write on one of `indices` (or a CLR) went upstream after a read started at `since`. */
  writeBeganSince(indices: readonly number[], since: number): boolean;
}

interface Asker {
  readonly indices: readonly number[];
  readonly since: number;
  readonly resolve: (values: Map<number, bigint>) => void;
  readonly reject: (error: unknown) => void;
}

/** Askers sent as one upstream GET, and its length in bytes as the serializer writes it. */
interface Group {
  readonly askers: Asker[];
  readonly indices: Set<number>;
  length: number;
  since: number;
}

/** `OP=GET;IND=` and `;`: the bytes of a GET besides its indices and the commas between them. */
const GET_FRAME_LENGTH = 'OP=GET;IND=;'.length;

function digits(index: number): number {
  let count = 1;
  for (let rest = index; rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}

/**
 * Coalesces the misses of every request that arrives in one turn of the event loop into one
 * upstream GET (each index once). Under load that is one round trip to the server for many
 * clients.
 *
 * A GET the server refuses as a whole (BAD_INDEX, TOO_LONG) cannot be retried in its place: the
 * writes that arrived after its askers have gone upstream behind it. So the batcher avoids such
 * refusals: it combines only askers whose indices the server is known to have (every index below
 * one more than the largest it has answered: a server's table does not change size while it
 * runs), sends the others alone in the same turn, and keeps each combined GET within
 * `maxLength` bytes. When a combined GET is refused all the same (the server restarted with a
 * smaller table, or takes shorter messages), it forgets what it had learned, and retries each
 * asker alone only if no write on its indices went upstream since it arrived; the others fail
 * with UPSTREAM_UNAVAILABLE rather than read a write that came after them.
 */
export class FetchBatcher {
  private waiting: Asker[] | undefined;
  /** Every index below this one is in the server's table. */
  private knownBelow = 0;

  constructor(
    private readonly fetcher: Fetcher,
    /** The longest GET the server is taken to accept; lowered when it refuses one as TOO_LONG. */
    private maxLength: number,
  ) {}

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
    let group: Group | undefined;
    for (const asker of askers) {
      if (!this.known(asker.indices)) {
        this.fetchAlone(asker);
        continue;
      }
      group ??= emptyGroup(asker);
      let added = addedLength(group, asker);
      if (group.askers.length > 0 && group.length + added > this.maxLength) {
        this.send(group);
        group = emptyGroup(asker);
        added = addedLength(group, asker);
      }
      group.length += added;
      group.askers.push(asker);
      for (const index of asker.indices) group.indices.add(index);
      group.since = Math.min(group.since, asker.since);
    }
    if (group !== undefined) this.send(group);
  }

  private send(group: Group): void {
    const { askers, length } = group;
    if (askers.length === 1) return this.fetchAlone(askers[0]);
    this.fetcher.fetch([...group.indices], group.since).then(
      (values) => {
        this.learn(values);
        for (const asker of askers) asker.resolve(values);
      },
      (error: unknown) => {
        if (!refusedAsAWhole(error)) return askers.forEach((asker) => asker.reject(error));
        // The server is not the one the batcher learned about: learn again from what it answers.
        if (error.code === 'BAD_INDEX') this.knownBelow = 0;
        else this.maxLength = Math.min(this.maxLength, length - 1);
        for (const asker of askers) {
          if (!this.fetcher.writeBeganSince(asker.indices, asker.since)) this.fetchAlone(asker);
          else asker.reject(outOfOrder(error));
        }
      },
    );
  }

  private fetchAlone(asker: Asker): void {
    this.fetcher.fetch([...asker.indices], asker.since).then((values) => {
      this.learn(values);
      asker.resolve(values);
    }, asker.reject);
  }

  private known(indices: readonly number[]): boolean {
    for (const index of indices) if (index >= this.knownBelow) return false;
    return true;
  }

  private learn(values: Map<number, bigint>): void {
    for (const index of values.keys()) if (index >= this.knownBelow) this.knownBelow = index + 1;
  }
}

function emptyGroup(first: Asker): Group {
  // The first index adds no comma: start one byte short.
  return { askers: [], indices: new Set(), length: GET_FRAME_LENGTH - 1, since: first.since };
}

/** The bytes `asker` adds to `group`'s GET: each index it does not hold yet, and a comma. */
function addedLength(group: Group, asker: Asker): number {
  let added = 0;
  for (const index of asker.indices) if (!group.indices.has(index)) added += digits(index) + 1;
  return added;
}

/** Refusals that one asker's part may have caused; anything else would fail alone too. */
function refusedAsAWhole(error: unknown): error is ProtocolError {
  return (
    error instanceof ProtocolError && (error.code === 'BAD_INDEX' || error.code === 'TOO_LONG')
  );
}

function outOfOrder(refusal: ProtocolError): ProtocolError {
  return new ProtocolError(
    'UPSTREAM_UNAVAILABLE',
    `the server refused this read combined with others (${refusal.code}: ${refusal.message}) ` +
      'and a write on its indices has been sent since: read again',
  );
}
