import type { TraceEntry } from '@semicache/policies';

const LOOKUP = 0;
const WRITE = 1;
const CLEAR = 2;

/**
 * The last `size` entries of the live trace (lookups, writes, clears), for OPT: a ring of two
 * typed arrays, so recording one costs two stores and no allocation; the trace objects that the
 * library reads are made only when asked for.
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

  /** The entries it holds, oldest first. */
  entries(): TraceEntry[] {
    const length = Math.min(this.recorded, this.size);
    const trace = new Array<TraceEntry>(length);
    let at = (this.next - length + this.size) % this.size;
    for (let i = 0; i < length; i++) {
      const key = this.keys[at];
      const kind = this.kinds[at];
      trace[i] =
        kind === LOOKUP
          ? { kind: 'lookup', key }
          : kind === WRITE
            ? { kind: 'write', key }
            : { kind: 'clear' };
      if (++at === this.size) at = 0;
    }
    return trace;
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
