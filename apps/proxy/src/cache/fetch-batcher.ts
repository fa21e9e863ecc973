import { ProtocolError } from '@semicache/protocol';

/** What one upstream GET brought back, shared by every request it was made for. */
export interface Fetched {
  readonly values: Map<number, bigint>;
  /** The GET's round trip to the server, in µs. */
  readonly upstreamUs: number;
}

/** What the batcher asks of the cache service. */
export interface Fetcher<O> {
  /**
   * One upstream GET of `indices`; `owners[i]` is the first request that asked for `indices[i]`
   * (what storing it is done for), `since` when the oldest read waiting for them started.
   */
  fetch(indices: number[], owners: O[], since: number): Promise<Fetched>;
  /** Whether a write on one of `indices` (or a CLR) went upstream after a read started at `since`. */
  writeBeganSince(indices: readonly number[], since: number): boolean;
}

interface Asker<O> {
  readonly indices: readonly number[];
  readonly owner: O;
  readonly since: number;
  readonly resolve: (fetched: Fetched) => void;
  readonly reject: (error: unknown) => void;
}

/** Askers sent as one upstream GET, and its length in bytes as the serializer writes it. */
interface Group<O> {
  readonly askers: Asker<O>[];
  /** Each index of the GET, in order, with the first asker's owner. */
  readonly owners: Map<number, O>;
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
export class FetchBatcher<O> {
  private waiting: Asker<O>[] | undefined;
  /** Every index below this one is in the server's table. */
  private knownBelow = 0;

  constructor(
    private readonly fetcher: Fetcher<O>,
    /** The longest GET the server is taken to accept; lowered when it refuses one as TOO_LONG. */
    private maxLength: number,
  ) {}

  /** The values of `indices` (distinct), fetched for `owner` within one upstream GET. */
  fetch(indices: readonly number[], since: number, owner: O): Promise<Fetched> {
    return new Promise((resolve, reject) => {
      if (this.waiting === undefined) {
        this.waiting = [];
        // setImmediate runs after the I/O callbacks of this turn: every socket read so far joins.
        setImmediate(() => this.flush());
      }
      this.waiting.push({ indices, owner, since, resolve, reject });
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
    let group: Group<O> | undefined;
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
      for (const index of asker.indices) {
        if (!group.owners.has(index)) group.owners.set(index, asker.owner);
      }
      group.since = Math.min(group.since, asker.since);
    }
    if (group !== undefined) this.send(group);
  }

  private send(group: Group<O>): void {
    const { askers, length, owners } = group;
    if (askers.length === 1) return this.fetchAlone(askers[0]);
    this.fetcher.fetch([...owners.keys()], [...owners.values()], group.since).then(
      (fetched) => {
        this.learn(fetched.values);
        for (const asker of askers) asker.resolve(fetched);
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

  private fetchAlone(asker: Asker<O>): void {
    const owners = asker.indices.map(() => asker.owner);
    this.fetcher.fetch([...asker.indices], owners, asker.since).then((fetched) => {
      this.learn(fetched.values);
      asker.resolve(fetched);
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

function emptyGroup<O>(first: Asker<O>): Group<O> {
  // The first index adds no comma: start one byte short.
  return { askers: [], owners: new Map(), length: GET_FRAME_LENGTH - 1, since: first.since };
}

/** The bytes `asker` adds to `group`'s GET: each index it does not hold yet, and a comma. */
function addedLength<O>(group: Group<O>, asker: Asker<O>): number {
  let added = 0;
  for (const index of asker.indices) if (!group.owners.has(index)) added += digits(index) + 1;
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
