import type { CacheListener } from './cache-listener';
import type { EvictionPolicy } from './eviction-policy';

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
 * A bounded map from table index to value; the policy picks what is evicted. Pure: no I/O and
 * no clock of its own, so it is tested directly. Everything it does is reported, in order, to
 * its listeners (see CacheListener), with the `cause` the caller gives.
 */
export class EntryCache<C = unknown> {
  private readonly slots = new Map<number, Slot>();

  constructor(
    readonly capacity: number,
    readonly policy: EvictionPolicy,
    private readonly listeners: readonly CacheListener<C>[] = [],
  ) {}

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
   * A lookup that must not be served from the cache (a write on the index is in flight): a miss,
   * whether the index is cached or not, and no use for the policy.
   */
  missWhileWriting(index: number, cause?: C, now = Date.now()): undefined {
    for (const listener of this.listeners) listener.miss(cause, index, now);
    return undefined;
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
      if (this.slots.size >= this.capacity) evicted = this.evict(now, cause);
      this.slots.set(index, { value, storedAt: now });
      this.policy.inserted(index);
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

  /** Drops an entry whose value may be outdated (a write's outcome is unknown). */
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
    return Array.from(this.policy.order(), (index) => {
      const slot = this.slots.get(index)!;
      return { index, value: slot.value, storedAt: slot.storedAt };
    });
  }

  private evict(now: number, cause: C | undefined): number {
    const victim = this.policy.victim();
    if (victim === undefined) return 0;
    const ageMs = now - this.slots.get(victim)!.storedAt;
    this.slots.delete(victim);
    this.policy.removed(victim);
    for (const listener of this.listeners) {
      listener.evicted(cause, victim, ageMs, this.policy.reason);
    }
    return 1;
  }
}
