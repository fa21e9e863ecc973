import { type EvictionPolicy, type EvictionPolicyName, createPolicy } from '@semicache/policies';
import type { CacheListener } from './cache-listener';

export interface CachedEntry {
  readonly index: number;
  readonly value: bigint;
  /** When the entry was stored or last written (ms since epoch). */
  readonly storedAt: number;
}

interface Slot {
  value: bigint;
  storedAt: number;
}

/**
 * A bounded map from table index to value; the policy holds the capacity and picks what is
 * evicted. Pure: no I/O and no clock of its own, so it is tested directly. Everything it does
 * is reported, in order, to its listeners (see CacheListener), with the `cause` the caller gives.
 */
export class EntryCache<C = unknown> {
  private readonly slots = new Map<number, Slot>();
  private current: EvictionPolicy;

  constructor(
    policy: EvictionPolicy,
    private readonly listeners: readonly CacheListener<C>[] = [],
  ) {
    this.current = policy;
  }

  get policy(): EvictionPolicy {
    return this.current;
  }

  get capacity(): number {
    return this.current.capacity;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The cached value, or undefined; a hit counts as a use for the policy. */
  lookup(index: number, cause?: C, now = Date.now()): bigint | undefined {
    const slot = this.slots.get(index);
    if (slot === undefined) {
      for (const listener of this.listeners) listener.miss(cause, index, now, false);
      return undefined;
    }
    this.current.read(index);
    for (const listener of this.listeners) listener.hit(cause, index, now);
    return slot.value;
  }

  /**
   * A lookup that must not be served from the cache (a write on the index is in flight, or the
   * entry may be stale): a miss, whether the index is cached or not, and no use for the policy.
   */
  missBypassed(index: number, cause?: C, now = Date.now()): undefined {
    for (const listener of this.listeners) listener.miss(cause, index, now, true);
    return undefined;
  }

  /** The cached value, or undefined, without counting as a use (and without a report). */
  peek(index: number): bigint | undefined {
    return this.slots.get(index)?.value;
  }

  /**
   * Stores a value fetched from the server for a miss (`written` false) or written through it
   * (true); returns how many entries were evicted to make room (0 or 1). A write of a cached
   * entry counts as a use for the policy; a fill of one does not (the lookups that missed it were
   * counted already: two misses of one index before its first fill came back are not two uses),
   * it only takes the value, which is no older.
   */
  store(index: number, value: bigint, now: number, cause?: C, written = false): number {
    const slot = this.slots.get(index);
    let evicted = 0;
    if (slot !== undefined) {
      slot.value = value;
      if (written) {
        slot.storedAt = now;
        this.current.written(index);
      }
    } else {
      // The policy evicts as it inserts: the victim's age is read before its slot goes.
      const victim = this.current.insert(index);
      if (victim !== undefined) {
        this.evicted(victim, now, cause);
        evicted = 1;
      }
      this.slots.set(index, { value, storedAt: now });
    }
    for (const listener of this.listeners) {
      if (written) listener.written(cause, index, value, now);
      else listener.stored(cause, index, value);
    }
    return evicted;
  }

  /** A value fetched from the server that is not stored, because a write raced its fetch. */
  skipFill(index: number, value: bigint, cause?: C): void {
    for (const listener of this.listeners) listener.skipped(cause, index, value);
  }

  /** Drops an entry whose value may be outdated (a write's outcome is unknown, an invalidation). */
  remove(index: number, cause?: C): void {
    if (!this.slots.delete(index)) return;
    this.current.removed(index);
    for (const listener of this.listeners) listener.dropped(cause, index);
  }

  clear(cause?: C): void {
    const entries = this.slots.size;
    this.slots.clear();
    this.current.cleared();
    for (const listener of this.listeners) listener.cleared(cause, entries);
  }

  /**
   * Changes the policy, the capacity or both, keeping the entries. A new policy takes them in
   * the old one's eviction order (the next victim first, as if stored one after another in that
   * order); then a smaller capacity evicts by the (new) policy until they fit, one victim at a
   * time, each reported with the rule it went by. Returns the evicted indices, in the order
   * they went.
   */
  reconfigure(policy: EvictionPolicyName, capacity: number, now: number, cause?: C): number[] {
    if (policy !== this.current.name) {
      const next = createPolicy(policy, this.current.capacity);
      for (const index of this.current.order()) next.insert(index);
      this.current = next;
    }
    const victims: number[] = [];
    while (this.current.size > capacity) {
      const victim = this.current.evict()!;
      victims.push(victim);
      this.evicted(victim, now, cause);
    }
    // Nothing is left to evict: this sets the capacity (and trims what ARC remembers).
    this.current.resize(capacity);
    for (const listener of this.listeners) listener.configured(cause, policy, capacity);
    return victims;
  }

  /** Every entry in eviction order: the next victim first. */
  entries(): CachedEntry[] {
    return this.current.order().map((index) => {
      const slot = this.slots.get(index)!;
      return { index, value: slot.value, storedAt: slot.storedAt };
    });
  }

  /** Takes out an entry the policy has just evicted, and reports it. */
  private evicted(index: number, now: number, cause: C | undefined): void {
    const ageMs = now - this.slots.get(index)!.storedAt;
    this.slots.delete(index);
    const reason = this.current.reason;
    for (const listener of this.listeners) listener.evicted(cause, index, ageMs, reason);
  }
}
