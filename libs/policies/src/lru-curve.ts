import { checkedCapacity } from './eviction-policy';
import { type PolicyResult, policyResult } from './key-cache';
import type { Trace } from './trace';

/**
 * LRU's hits and misses at every capacity 1..maxCapacity in one pass (Mattson, Gecsei, Slutz
 * and Traiger, "Evaluation techniques for storage hierarchies", 1970). LRU is a stack
 * algorithm: a cache of capacity c always holds the c most recently used keys, so a lookup
 * whose key is at depth d of the recency stack hits at every capacity >= d. Writes make their
 * key the most recent (write-allocate) without counting; a clear empties the stack. Only the
 * top maxCapacity keys matter, so the stack is kept that deep: O(maxCapacity) per entry.
 */
export function lruMissRatioCurve(trace: Trace, maxCapacity: number): PolicyResult[] {
  checkedCapacity(maxCapacity);
  const stack = new Float64Array(maxCapacity); // the most recent first
  let depth = 0;
  /** atDepth[d]: lookups found at depth d + 1. */
  const atDepth = new Float64Array(maxCapacity);
  let lookups = 0;
  for (const entry of trace) {
    if (entry.kind === 'clear') {
      depth = 0;
      continue;
    }
    let found = 0;
    while (found < depth && stack[found] !== entry.key) found++;
    if (entry.kind === 'lookup') {
      lookups++;
      if (found < depth) atDepth[found]++;
    }
    // Make it the most recent: the keys above it move down one (the deepest falls off if absent).
    if (found === depth && depth < maxCapacity) depth++;
    stack.copyWithin(1, 0, Math.min(found, maxCapacity - 1));
    stack[0] = entry.key;
  }
  const curve: PolicyResult[] = [];
  let hits = 0;
  for (let capacity = 1; capacity <= maxCapacity; capacity++) {
    hits += atDepth[capacity - 1];
    curve.push(policyResult('lru', capacity, hits, lookups - hits));
  }
  return curve;
}
