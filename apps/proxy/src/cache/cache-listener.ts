import type { EvictionPolicyName } from '@semicache/policies';

/**
 * What the cache does, reported as it does it, in order: the one stream that the shadow caches
 * (and anything else that must follow the cache exactly) are fed from.
 */
export interface CacheListener {
  /** A lookup (each index of a GET or ADD) found the index cached. */
  hit(index: number): void;
  /**
   * A lookup did not. `bypassed`: the cache was not consulted, because a write on the index is
   * in flight (the server is asked, behind the write) or invalidations may have been missed.
   */
  miss(index: number, bypassed: boolean): void;
  /** A value fetched from the server for a miss was stored (a fill). */
  stored(index: number): void;
  /** A value fetched from the server was not stored: a write raced the fetch. */
  skipped(index: number): void;
  /** A write the server acknowledged was stored (as a new entry where it was absent). */
  written(index: number): void;
  /** An entry was evicted, `ageMs` after it was stored, by the policy's `reason`. */
  evicted(index: number, ageMs: number, reason: string): void;
  /** An entry was removed because a write's outcome is unknown. */
  dropped(index: number): void;
  /** The cache was emptied; it held `entries` entries. */
  cleared(entries: number): void;
  /** The policy or the capacity was changed at run time (after the evictions it caused). */
  configured(policy: EvictionPolicyName, capacity: number): void;
}
