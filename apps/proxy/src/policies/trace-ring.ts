import {
  CLEAR_ENTRY as CLEAR,
  LOOKUP_ENTRY as LOOKUP,
  type PackedTrace,
  WRITE_ENTRY as WRITE,
} from '@semicache/policies';

/**
 * The last `size` entries of the live trace (lookups, writes, clears), for OPT: a ring of two
 * typed arrays, so recording one costs two stores and no allocation.
 */
export class TraceRing {
  private readonly keys: Int32Array;
  private readonly kinds: Uint8Array;
  private next = 0;
  private recorded = 0;
  private held = 0;

  constructor(readonly size: number) {
    this.keys = new Int32Array(size);
    this.kinds = new Uint8Array(size);
  }

  /** Entries recorded since the ring was made (the ring holds the last `size` of them). */
  get total(): number {
    return this.recorded;
  }

  /** Lookups among the entries it holds. */
  get lookups(): number {
    return this.held;
  }

  /** Whether the ring still holds every entry recorded. */
  get complete(): boolean {
    return this.recorded <= this.size;
  }

  lookup(key: number): void {
    this.push(LOOKUP, key);
  }

  write(key: number): void {
    this.push(WRITE, key);
  }

  clear(): void {
    this.push(CLEAR, 0);
  }

  /** A copy of the entries it holds, oldest first, in the form OPT reads (5 bytes an entry). */
  packed(): PackedTrace {
    const length = Math.min(this.recorded, this.size);
    // Once the ring has wrapped, the oldest entry is the next to be overwritten.
    const oldest = this.recorded > this.size ? this.next : 0;
    const tail = Math.min(length, this.size - oldest);
    const unwrap = <T extends Uint8Array | Int32Array>(ring: T, copy: T): T => {
      copy.set(ring.subarray(oldest, oldest + tail));
      copy.set(ring.subarray(0, length - tail), tail);
      return copy;
    };
    return {
      kinds: unwrap(this.kinds, new Uint8Array(length)),
      keys: unwrap(this.keys, new Int32Array(length)),
    };
  }

  private push(kind: number, key: number): void {
    if (this.recorded >= this.size && this.kinds[this.next] === LOOKUP) this.held--;
    if (kind === LOOKUP) this.held++;
    this.keys[this.next] = key;
    this.kinds[this.next] = kind;
    if (++this.next === this.size) this.next = 0;
    this.recorded++;
  }
}
