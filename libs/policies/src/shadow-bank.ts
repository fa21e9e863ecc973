import { EVICTION_POLICIES, type EvictionPolicyName } from './eviction-policy';
import { KeyCache, type PolicyResult } from './key-cache';

/** The largest capacity a shadow bank simulates. */
export const MAX_SHADOW_CAPACITY = 64;

export interface ShadowBankOptions {
  /** The policies to shadow (all by default). */
  readonly policies?: readonly EvictionPolicyName[];
  /** Shadows at every capacity from 1 to this (1..64, default 10). */
  readonly maxCapacity?: number;
}

/**
 * Shadow caches of several policies at every capacity 1..K, fed the live cache's own operations,
 * counting what each would have hit. The shadow of the live policy at the live capacity goes
 * through exactly the live cache's states, so it counts exactly its hits and misses.
 *
 * The live cache tells each lookup's outcome: a shadow that misses where the live cache hit gets
 * no fill from it, so it is filled at once; where the live cache missed, every shadow that
 * missed waits for the live fill (and stays without the key if that fill is skipped).
 */
export class ShadowBank {
  readonly policies: readonly EvictionPolicyName[];
  readonly maxCapacity: number;
  /** Policy by policy, capacities 1..maxCapacity. */
  private readonly shadows: KeyCache[] = [];

  constructor(options: ShadowBankOptions = {}) {
    const { policies = EVICTION_POLICIES, maxCapacity = 10 } = options;
    if (!Number.isInteger(maxCapacity) || maxCapacity < 1 || maxCapacity > MAX_SHADOW_CAPACITY) {
      throw new RangeError(
        `shadow capacities go up to 1..${MAX_SHADOW_CAPACITY}, not ${maxCapacity}`,
      );
    }
    this.policies = [...new Set(policies)];
    this.maxCapacity = maxCapacity;
    for (const policy of this.policies) {
      for (let capacity = 1; capacity <= maxCapacity; capacity++) {
        this.shadows.push(new KeyCache(policy, capacity));
      }
    }
  }

  /** A lookup of `key`, which the live cache answered with a hit or a miss. */
  lookup(key: number, liveHit: boolean): void {
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) shadows[i].lookup(key, liveHit);
  }

  /** The live cache stored the value its miss fetched. */
  fill(key: number): void {
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) shadows[i].fill(key);
  }

  /** The live cache stored an acknowledged write (write-allocate). */
  write(key: number): void {
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) shadows[i].write(key);
  }

  /** The live cache dropped a key (a write whose outcome is unknown). */
  remove(key: number): void {
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) shadows[i].remove(key);
  }

  clear(): void {
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) shadows[i].clear();
  }

  /** Every shadow's counts, policy by policy, capacity 1 first. */
  results(): PolicyResult[] {
    return this.shadows.map((shadow) => shadow.result());
  }
}
