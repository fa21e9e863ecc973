import { createPolicy } from './create-policy';
import type { EvictionPolicy } from './eviction-policy';

/**
 * A new policy in `source`'s very state (the same keys, uses, hand, ghosts...), independent of
 * it, with room for `capacity` keys: at least as many as it holds, so nothing is evicted. It is
 * made by `createPolicy` and then given the state, so that it has the same shape as every other
 * policy of its kind (a loop calling many policies stays fast only while they have few shapes).
 */
export function copyPolicy(source: EvictionPolicy, capacity: number): EvictionPolicy {
  if (capacity < source.size) {
    throw new RangeError(`${source.size} keys do not fit in a capacity of ${capacity}`);
  }
  const copy = createPolicy(source.name, capacity);
  copyFields(source, copy);
  copy.resize(capacity);
  return copy;
}

/**
 * Gives `target` (an object made like `source`) all of `source`'s fields: numbers, strings and
 * booleans as they are, typed arrays and arrays (of numbers) copied, owned objects (the key
 * index, node pools) field by field in turn. Policies hold nothing else: no sharing, no cycles.
 */
function copyFields(source: object, target: object): void {
  const into = target as Record<string, unknown>;
  for (const [field, value] of Object.entries(source) as [string, unknown][]) {
    if (ArrayBuffer.isView(value)) into[field] = (value as Int32Array).slice();
    else if (Array.isArray(value)) into[field] = value.slice();
    else if (typeof value === 'object' && value !== null) copyFields(value, into[field] as object);
    else into[field] = value;
  }
}
