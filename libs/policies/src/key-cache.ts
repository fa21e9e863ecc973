import { createPolicy } from './create-policy';
import type { EvictionPolicy, EvictionPolicyName } from './eviction-policy';

/** What a cache of one policy at one capacity did with its lookups. */
export interface PolicyResult {
  readonly policy: EvictionPolicyName | 'opt';
  readonly capacity: number;
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / lookups; 0 when there was no lookup. */
  readonly hitRatio: number;
}

export function policyResult(
  policy: EvictionPolicyName | 'opt',
  capacity: number,
  hits: number,
  misses: number,
): PolicyResult {
  const lookups = hits + misses;
  return { policy, capacity, lookups, hits, misses, hitRatio: lookups === 0 ? 0 : hits / lookups };
}

/**
 * A cache of keys only, one policy at one capacity, counting its hits and misses. It performs
 * the same separate operations as the proxy's cache: a lookup does not store anything, a fill
 * (the value a miss fetched) or a write stores. See docs/policies.md, "The operation model".
 */
export class KeyCache {
  readonly policy: EvictionPolicy;
  hits = 0;
  misses = 0;

  constructor(name: EvictionPolicyName, capacity: number) {
    this.policy = createPolicy(name, capacity);
  }

  get capacity(): number {
    return this.policy.capacity;
  }

  get lookups(): number {
    return this.hits + this.misses;
  }

  /**
   * Counts a hit (the key counts as used) or a miss; returns whether it hit. With `fillOnMiss`,
   * a miss is filled at once: for a replay, or a shadow whose live cache hit (no fill follows).
   */
  lookup(key: number, fillOnMiss = false): boolean {
    if (this.policy.read(key)) {
      this.hits++;
      return true;
    }
    this.misses++;
    if (fillOnMiss) this.policy.insert(key);
    return false;
  }

  /** The value a miss fetched arrives: stored if absent; a key already cached is left as it is. */
  fill(key: number): void {
    if (!this.policy.has(key)) this.policy.insert(key);
  }

  /** An acknowledged write: stored if absent (write-allocate), otherwise it counts as a use. */
  write(key: number): void {
    if (!this.policy.written(key)) this.policy.insert(key);
  }

  remove(key: number): void {
    this.policy.removed(key);
  }

  clear(): void {
    this.policy.cleared();
  }

  result(): PolicyResult {
    return policyResult(this.policy.name, this.capacity, this.hits, this.misses);
  }
}
