import { type EventRecord, KIND, UNKNOWN } from '@semicache/events';
import type { CacheListener } from './cache-listener';

// Read once: each `KIND.x` through the library's re-exports is a getter call.
const { hit, miss, stored, skipped, evicted, written, dropped, cleared } = KIND;

/**
 * Writes what the cache does into the event of the request it does it for: one decision each, in
 * order. A miss's upstream round trip is filled in when its fetch comes back (EventRecord.waited).
 */
export const DECISION_EVENTS: CacheListener<EventRecord> = {
  hit: (event, index) => event?.decide(hit, index),
  miss: (event, index) => event?.decide(miss, index),
  stored: (event, index, value) => event?.decide(stored, index, UNKNOWN, value),
  skipped: (event, index, value) => event?.decide(skipped, index, UNKNOWN, value),
  written: (event, index, value) => event?.decide(written, index, UNKNOWN, value),
  evicted: (event, index, ageMs, reason) => event?.decide(evicted, index, ageMs, reason),
  dropped: (event, index) => event?.decide(dropped, index),
  cleared: (event, entries) => event?.decide(cleared, -1, entries),
  // The event of the change (op CONFIG) says it; its evictions are decisions of their own.
  configured: () => undefined,
};
