import type { EvictionPolicyName } from '@semicache/policies';

/**
 * What the cache does, reported as it does it, in order: the one stream that the metrics, the
 * per-index heat, the decision events and the shadow caches all follow. `cause` is what it was
 * done for — the event of the request being served, or of a change outside any request — or
 * undefined when nothing records it. `now` is the time in ms since the epoch.
 */
export interface CacheListener<C> {
  /** A lookup (each index of a GET or ADD) found the index cached. */
  hit(cause: C | undefined, index: number, now: number): void;
  /**
   * A lookup did not. `bypassed`: the cache was not consulted, because a write on the index is
   * in flight (the server is asked, behind the write) or the entry may be stale.
   */
  miss(cause: C | undefined, index: number, now: number, bypassed: boolean): void;
  /** A value fetched from the server for a miss was stored (a fill). */
  stored(cause: C | undefined, index: number, value: bigint): void;
  /** A value fetched from the server was not stored: a write raced the fetch. */
  skipped(cause: C | undefined, index: number, value: bigint): void;
  /** A write the server acknowledged was stored (as a new entry where it was absent). */
  written(cause: C | undefined, index: number, value: bigint, now: number): void;
  /** An entry was evicted, `ageMs` after it was stored, by the policy's `reason`. */
  evicted(cause: C | undefined, index: number, ageMs: number, reason: string): void;
  /** An entry was removed because a write's outcome is unknown (or an invalidation). */
  dropped(cause: C | undefined, index: number): void;
  /** The cache was emptied; it held `entries` entries. */
  cleared(cause: C | undefined, entries: number): void;
  /** The policy or the capacity was changed at run time (after the evictions it caused). */
  configured(cause: C | undefined, policy: EvictionPolicyName, capacity: number): void;
}
