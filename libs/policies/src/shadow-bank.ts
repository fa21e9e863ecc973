import { createPolicy } from './create-policy';
import { EVICTION_POLICIES, type EvictionPolicy, type EvictionPolicyName } from './eviction-policy';
import { type PolicyResult, policyResult } from './key-cache';

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
 *
 * Each shadow follows KeyCache's rules (a property test holds them equal); the bank keeps the
 * policies and the counts in flat arrays and loops over them itself, because per-shadow objects
 * cost a third more on this path, which the proxy runs for every index it looks up.
 */
export class ShadowBank {
  readonly policies: readonly EvictionPolicyName[];
  readonly maxCapacity: number;
  /** Policy by policy, capacities 1..maxCapacity. */
  private readonly shadows: EvictionPolicy[] = [];
  private readonly hits: Float64Array;
  private readonly misses: Float64Array;
  /** Lookups that missed in every shadow without reaching any (see `lookupBypassed`). */
  private bypassed = 0;

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
        this.shadows.push(createPolicy(policy, capacity));
      }
    }
    this.hits = new Float64Array(this.shadows.length);
    this.misses = new Float64Array(this.shadows.length);
  }

  /** A lookup of `key`, which the live cache answered with a hit or a miss. */
  lookup(key: number, liveHit: boolean): void {
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) {
      if (shadows[i].read(key)) {
        this.hits[i]++;
      } else {
        this.misses[i]++;
        if (liveHit) shadows[i].insert(key);
      }
    }
  }

  /**
   * A lookup the live cache answered as a miss without consulting its entries (say because a
   * write on the key was in flight, so the value is read from the server behind the write).
   * Whatever the policy and the capacity, the same would have happened: a miss in every shadow,
   * which changes none of them (the value fetched is not stored either).
   */
  lookupBypassed(): void {
    this.bypassed++;
  }

  /** The live cache stored the value its miss fetched. */
  fill(key: number): void {
    for (const shadow of this.shadows) if (!shadow.has(key)) shadow.insert(key);
  }

  /** The live cache stored an acknowledged write (write-allocate). */
  write(key: number): void {
    for (const shadow of this.shadows) if (!shadow.written(key)) shadow.insert(key);
  }

  /** The live cache dropped a key (a write whose outcome is unknown). */
  remove(key: number): void {
    for (const shadow of this.shadows) shadow.removed(key);
  }

  clear(): void {
    for (const shadow of this.shadows) shadow.cleared();
  }

  /** Every shadow's counts, policy by policy, capacity 1 first. */
  results(): PolicyResult[] {
    return this.shadows.map((shadow, i) =>
      policyResult(shadow.name, shadow.capacity, this.hits[i], this.misses[i] + this.bypassed),
    );
  }
}
