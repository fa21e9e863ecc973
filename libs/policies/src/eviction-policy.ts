/** The eviction policies, by the name that selects them (`--eviction`). */
export const EVICTION_POLICIES = ['fifo', 'lru', 'clock', 'lfu', 'sieve', 'arc'] as const;
export type EvictionPolicyName = (typeof EVICTION_POLICIES)[number];

/**
 * The rules a policy evicts by, as "evicted" events name them: one for each policy but ARC,
 * which names the list its victim left (`arc-t1`: keys used once since stored, `arc-t2`: keys
 * used again).
 */
export const EVICTION_REASONS = {
  fifo: ['oldest'],
  lru: ['least-recent'],
  clock: ['unreferenced'],
  lfu: ['least-frequent'],
  sieve: ['unvisited'],
  arc: ['arc-t1', 'arc-t2'],
} as const satisfies Record<EvictionPolicyName, readonly [string, ...string[]]>;
export type EvictionReason = (typeof EVICTION_REASONS)[EvictionPolicyName][number];

/**
 * Decides which cached key goes when the cache is full. The cache owns the values and tells the
 * policy what happens to its keys; the policy keeps only keys (table indices: non-negative
 * 32-bit integers) and knows the capacity, so storing a key and evicting for it are one call:
 * finding a victim is an operation, not a query, because CLOCK and SIEVE move their hand while
 * looking for it and ARC chooses by the incoming key and remembers the victim as a ghost.
 * Every call is O(1), except `order()`.
 */
export interface EvictionPolicy {
  readonly name: EvictionPolicyName;
  /**
   * The rule its latest eviction followed (before any, the first of its EVICTION_REASONS): read
   * it right after the call that evicted.
   */
  readonly reason: EvictionReason;
  /** How many keys it holds at most. */
  readonly capacity: number;
  /** How many keys are cached. */
  readonly size: number;
  has(key: number): boolean;
  /** Stores a key that is not cached, evicting one first when full; returns the evicted key. */
  insert(key: number): number | undefined;
  /** A lookup: a cached key counts as used. Returns whether it is cached. */
  read(key: number): boolean;
  /** A cached key was stored again (a write): it counts as used. Returns whether it is cached. */
  written(key: number): boolean;
  /** A key left the cache for another reason than eviction (unknown keys are ignored). */
  removed(key: number): void;
  cleared(): void;
  /** Evicts the next victim, as for a key never seen, and returns it (undefined when empty). */
  evict(): number | undefined;
  /**
   * Changes the capacity. A smaller one than the keys held evicts by the policy's own rule, one
   * victim after another, until they fit; returns the evicted keys in the order they went.
   */
  resize(capacity: number): number[];
  /**
   * The cached keys in eviction order, next victim first: the order in which they would go if
   * they were evicted one after the other with no further access. Computed on demand (O(n)).
   */
  order(): number[];
}

/** The capacity, checked: a positive integer. */
export function checkedCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`a cache needs a positive integer capacity, not ${capacity}`);
  }
  return capacity;
}
