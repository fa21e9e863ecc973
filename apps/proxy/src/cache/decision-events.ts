import { type EventRecord, KIND, UNKNOWN } from '@semicache/events';
import type { CacheListener } from './cache-listener';

/**
 * Writes what the cache does into the event of the request it does it for: one decision each, in
 * order. A miss's upstream round trip is filled in when its fetch comes back (EventRecord.waited).
 */
export const DECISION_EVENTS: CacheListener<EventRecord> = {
  hit: (event, index) => event?.decide(KIND.hit, index),
  miss: (event, index) => event?.decide(KIND.miss, index),
  stored: (event, index, value) => event?.decide(KIND.stored, index, UNKNOWN, value),
  skipped: (event, index, value) => event?.decide(KIND.skipped, index, UNKNOWN, value),
  written: (event, index, value) => event?.decide(KIND.written, index, UNKNOWN, value),
  evicted: (event, index, ageMs, reason) => event?.decide(KIND.evicted, index, ageMs, reason),
  dropped: (event, index) => event?.decide(KIND.dropped, index),
  cleared: (event, entries) => event?.decide(KIND.cleared, -1, entries),
};
