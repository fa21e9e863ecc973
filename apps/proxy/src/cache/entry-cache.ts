import type { EvictionPolicy } from '@semicache/policies';
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

  constructor(
    readonly policy: EvictionPolicy,
    private readonly listeners: readonly CacheListener<C>[] = [],
  ) {}

  get capacity(): number {
    return this.policy.capacity;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The cached value, or undefined; a hit counts as a use for the policy. */
  lookup(index: number, cause?: C, now = Date.now()): bigint | undefined {
    const slot = this.slots.get(index);
    if (slot === undefined) {
      for (const listener of this.listeners) listener.miss(cause, index, now);
      return undefined;
    }
    this.policy.read(index);
    for (const listener of this.listeners) listener.hit(cause, index, now);
    return slot.value;
  }

  /**
   * A lookup that must not be served from the cache (a write on the index is in flight, or the
   * entry may be stale): a miss, whether the index is cached or not, and no use for the policy.
   */
  missWhileWriting(index: number, cause?: C, now = Date.now()): undefined {
    for (const listener of this.listeners) listener.miss(cause, index, now);
    return undefined;
  }

  /** The cached value, or undefined, without counting as a use (and without a report). */
  peek(index: number): bigint | undefined {
    return this.slots.get(index)?.value;
  }

  /**
   * Stores a value fetched from the server (`written` false) or written through it (true);
   * returns how many entries were evicted to make room (0 or 1).
   */
  store(index: number, value: bigint, now: number, cause?: C, written = false): number {
    const slot = this.slots.get(index);
    let evicted = 0;
    if (slot !== undefined) {
      slot.value = value;
      slot.storedAt = now;
      this.policy.written(index);
    } else {
      // The policy evicts as it inserts: the victim's age is read before its slot goes.
      const victim = this.policy.insert(index);
      if (victim !== undefined) {
        evicted = 1;
        const ageMs = now - this.slots.get(victim)!.storedAt;
        this.slots.delete(victim);
        for (const listener of this.listeners) {
          listener.evicted(cause, victim, ageMs, this.policy.reason);
        }
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
    this.policy.removed(index);
    for (const listener of this.listeners) listener.dropped(cause, index);
  }

  clear(cause?: C): void {
    const entries = this.slots.size;
    this.slots.clear();
    this.policy.cleared();
    for (const listener of this.listeners) listener.cleared(cause, entries);
  }

  /** Every entry in eviction order: the next victim first. */
  entries(): CachedEntry[] {
    return this.policy.order().map((index) => {
      const slot = this.slots.get(index)!;
      return { index, value: slot.value, storedAt: slot.storedAt };
    });
  }
}
