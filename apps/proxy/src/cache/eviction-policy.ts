/**
 * Decides which cached index goes when the cache is full. One small interface so that more
 * policies can be added; `order()` is the eviction order, next victim first.
 */
export interface EvictionPolicy {
  readonly name: EvictionPolicyName;
  /** The rule it evicts by, as an `evicted` event names it. */
  readonly reason: string;
  /** A new key was stored. */
  inserted(key: number): void;
  /** A cached key was read (a hit). */
  read(key: number): void;
  /** A cached key was written again (a PUT through the proxy). */
  written(key: number): void;
  removed(key: number): void;
  cleared(): void;
  /** The key to evict next, if any. */
  victim(): number | undefined;
  order(): IterableIterator<number>;
}

export const EVICTION_POLICIES = ['fifo', 'lru'] as const;
export type EvictionPolicyName = (typeof EVICTION_POLICIES)[number];

/** Keys in a `Set`, whose iteration order is insertion order: the oldest first. */
abstract class OrderedKeysPolicy implements EvictionPolicy {
  abstract readonly name: EvictionPolicyName;
  abstract readonly reason: string;
  protected readonly keys = new Set<number>();

  inserted(key: number): void {
    this.keys.add(key);
  }
  abstract read(key: number): void;
  abstract written(key: number): void;
  removed(key: number): void {
    this.keys.delete(key);
  }
  cleared(): void {
    this.keys.clear();
  }
  victim(): number | undefined {
    return this.keys.values().next().value;
  }
  order(): IterableIterator<number> {
    return this.keys.values();
  }
  protected moveToNewest(key: number): void {
    this.keys.delete(key);
    this.keys.add(key);
  }
}

/** First in, first out: the assignment's "overwrite the oldest entry". Reads and writes do not change the order. */
export class FifoPolicy extends OrderedKeysPolicy {
  readonly name = 'fifo';
  readonly reason = 'oldest';
  read(): void {}
  written(): void {}
}

/** Least recently used: every read or write makes a key the newest. */
export class LruPolicy extends OrderedKeysPolicy {
  readonly name = 'lru';
  readonly reason = 'least-recent';
  read(key: number): void {
    this.moveToNewest(key);
  }
  written(key: number): void {
    this.moveToNewest(key);
  }
}

export function createPolicy(name: EvictionPolicyName): EvictionPolicy {
  return name === 'lru' ? new LruPolicy() : new FifoPolicy();
}
