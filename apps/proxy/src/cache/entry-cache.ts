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
 * no clock of its own, so it is tested directly.
 */
export class EntryCache {
  private readonly slots = new Map<number, Slot>();

  constructor(
    readonly capacity: number,
    readonly policy: EvictionPolicy,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** The cached value, or undefined; a hit counts as a use for the policy. */
  lookup(index: number): bigint | undefined {
    const slot = this.slots.get(index);
    if (slot === undefined) return undefined;
    this.policy.read(index);
    return slot.value;
  }

  /** The cached value, or undefined, without counting as a use. */
  peek(index: number): bigint | undefined {
    return this.slots.get(index)?.value;
  }

  /** Stores a value; returns how many entries were evicted to make room (0 or 1). */
  store(index: number, value: bigint, now: number): number {
    const slot = this.slots.get(index);
    if (slot !== undefined) {
      slot.value = value;
      slot.storedAt = now;
      this.policy.written(index);
      return 0;
    }
    let evicted = 0;
    if (this.slots.size >= this.capacity) {
      const victim = this.policy.victim();
      if (victim !== undefined) {
        this.remove(victim);
        evicted = 1;
      }
    }
    this.slots.set(index, { value, storedAt: now });
    this.policy.inserted(index);
    return evicted;
  }

  remove(index: number): void {
    if (this.slots.delete(index)) this.policy.removed(index);
  }

  clear(): void {
    this.slots.clear();
    this.policy.cleared();
  }

  /** Every entry in eviction order: the next victim first. */
  entries(): CachedEntry[] {
    return Array.from(this.policy.order(), (index) => {
      const slot = this.slots.get(index)!;
      return { index, value: slot.value, storedAt: slot.storedAt };
    });
  }
}
