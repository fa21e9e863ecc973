import type { EvictionPolicy } from '@semicache/policies';

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
 * evicted. Pure: no I/O and no clock of its own, so it is tested directly.
 */
export class EntryCache {
  private readonly slots = new Map<number, Slot>();

  constructor(readonly policy: EvictionPolicy) {}

  get capacity(): number {
    return this.policy.capacity;
  }

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
    const victim = this.policy.insert(index);
    if (victim !== undefined) this.slots.delete(victim);
    this.slots.set(index, { value, storedAt: now });
    return victim === undefined ? 0 : 1;
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
    return this.policy.order().map((index) => {
      const slot = this.slots.get(index)!;
      return { index, value: slot.value, storedAt: slot.storedAt };
    });
  }
}
