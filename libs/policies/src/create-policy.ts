import { ArcPolicy } from './arc-policy';
import type { EvictionPolicy, EvictionPolicyName } from './eviction-policy';
import { LfuPolicy } from './lfu-policy';
import { HandPolicy, QueuePolicy } from './queue-policies';

/** A new policy by name, for a cache of `capacity` entries. */
export function createPolicy(name: EvictionPolicyName, capacity: number): EvictionPolicy {
  switch (name) {
    case 'fifo':
    case 'lru':
      return new QueuePolicy(name, capacity);
    case 'clock':
    case 'sieve':
      return new HandPolicy(name, capacity);
    case 'lfu':
      return new LfuPolicy(capacity);
    case 'arc':
      return new ArcPolicy(capacity);
  }
}
