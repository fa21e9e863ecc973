/**
 * What the cache does, reported as it does it: the one stream that the metrics, the per-index
 * heat and the decision events all follow (and that a shadow cache can follow too). `cause` is
 * what it was done for — the event of the request being served — or undefined outside one.
 * `now` is the time in ms since the epoch.
 */
export interface CacheListener<C> {
  /** A lookup (each index of a GET or ADD) found the index cached. */
  hit(cause: C | undefined, index: number, now: number): void;
  /** A lookup did not: not cached, or a write on it in flight (the server is asked). */
  miss(cause: C | undefined, index: number, now: number): void;
  /** A value fetched from the server was stored (a fill). */
  stored(cause: C | undefined, index: number, value: bigint): void;
  /** A value fetched from the server was not stored: a write raced the fetch. */
  skipped(cause: C | undefined, index: number, value: bigint): void;
  /** A write the server acknowledged was stored (as a new entry where it was absent). */
  written(cause: C | undefined, index: number, value: bigint, now: number): void;
  /** An entry was evicted to make room, `ageMs` after it was stored, by the policy's `reason`. */
  evicted(cause: C | undefined, index: number, ageMs: number, reason: string): void;
  /** An entry was removed because a write's outcome is unknown. */
  dropped(cause: C | undefined, index: number): void;
  /** The cache was emptied; it held `entries` entries. */
  cleared(cause: C | undefined, entries: number): void;
}
