import { belady } from './belady';
import { EVICTION_POLICIES, type EvictionPolicyName } from './eviction-policy';
import { KeyCache, type PolicyResult } from './key-cache';
import type { Trace } from './trace';

/** What `simulate` can replay: every eviction policy, and Bélády's optimum. */
export const SIMULATED_POLICIES = [...EVICTION_POLICIES, 'opt'] as const;
export type SimulatedPolicy = (typeof SIMULATED_POLICIES)[number];

/**
 * Replays a trace against each policy at each capacity, and returns their counts in that order
 * (policy by policy). A lookup that misses is filled at once, as if its fetch came straight
 * back; a write stores its key; a clear empties the cache.
 */
export function simulate(
  trace: Trace,
  policies: readonly SimulatedPolicy[],
  capacities: readonly number[],
): PolicyResult[] {
  return policies.flatMap((policy) => {
    if (policy === 'opt') return belady(trace, capacities);
    if (!EVICTION_POLICIES.includes(policy)) throw new RangeError(`unknown policy "${policy}"`);
    return capacities.map((capacity) => replay(trace, policy, capacity));
  });
}

function replay(trace: Trace, policy: EvictionPolicyName, capacity: number): PolicyResult {
  const cache = new KeyCache(policy, capacity);
  for (const entry of trace) {
    if (entry.kind === 'lookup') cache.lookup(entry.key, true);
    else if (entry.kind === 'write') cache.write(entry.key);
    else cache.clear();
  }
  return cache.result();
}
