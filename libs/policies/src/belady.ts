import { checkedCapacity } from './eviction-policy';
import { type PolicyResult, policyResult } from './key-cache';
import type { Trace } from './trace';

/** The position of a use that never comes. */
const NEVER = Number.POSITIVE_INFINITY;

/**
 * Bélády's OPT (MIN) over a trace, at each capacity: on a miss the key is stored, and a full
 * cache evicts the key whose next use is farthest in the future. The lower bound on the misses
 * of every policy that stores what it misses, as ours do.
 *
 * How writes and clears count: only lookups are counted (hits and misses). A write stores its
 * key like the proxy's write-allocate (evicting the farthest-used other key when full), costs
 * nothing and counts as neither. A clear empties the cache. A key's next use is its next
 * lookup, unless a write of that key or a clear comes first: then keeping it is worth nothing
 * (the write brings it back for free, the clear takes it away), so its next use is "never".
 */
export function belady(trace: Trace, capacities: readonly number[]): PolicyResult[] {
  const atCapacity = planBelady(trace);
  return capacities.map((capacity) => atCapacity(capacity));
}

/**
 * Bélády's OPT over `trace`, one capacity per call: the look-ahead over the trace is made once,
 * each call then replays it at one capacity (O(n log C)). For a caller that must stay
 * responsive between capacities, or stop after a time.
 */
export function planBelady(trace: Trace): (capacity: number) => PolicyResult {
  const { keys, nextUse, distinct } = plan(trace);
  return (capacity) => {
    const cache = new FarthestFirst(distinct, checkedCapacity(capacity));
    let hits = 0;
    let misses = 0;
    for (let i = 0; i < trace.length; i++) {
      const entry = trace[i];
      if (entry.kind === 'clear') {
        cache.clear();
      } else if (entry.kind === 'write') {
        cache.use(keys[i], nextUse[i]);
      } else if (cache.use(keys[i], nextUse[i])) {
        hits++;
      } else {
        misses++;
      }
    }
    return policyResult('opt', capacity, hits, misses);
  };
}

/** Each entry's key as a dense number, and the position of the next use of its key after it. */
function plan(trace: Trace): { keys: Int32Array; nextUse: Float64Array; distinct: number } {
  const ids = new Map<number, number>();
  const keys = new Int32Array(trace.length);
  for (let i = 0; i < trace.length; i++) {
    const entry = trace[i];
    if (entry.kind === 'clear') continue;
    let id = ids.get(entry.key);
    if (id === undefined) ids.set(entry.key, (id = ids.size));
    keys[i] = id;
  }
  // Backwards: `upcoming[id]` is the next lookup of id, or NEVER if a write of id or a clear
  // comes first.
  const upcoming = new Float64Array(ids.size).fill(NEVER);
  const nextUse = new Float64Array(trace.length);
  for (let i = trace.length - 1; i >= 0; i--) {
    const entry = trace[i];
    if (entry.kind === 'clear') {
      upcoming.fill(NEVER);
      continue;
    }
    nextUse[i] = upcoming[keys[i]];
    upcoming[keys[i]] = entry.kind === 'lookup' ? i : NEVER;
  }
  return { keys, nextUse, distinct: ids.size };
}

/**
 * The cached keys in a max-heap by next use. An entry is pushed at every use and older entries
 * of a key are skipped when they surface (each carries the key's use count at its push); when
 * the heap fills up with them, it keeps only the current ones.
 */
class FarthestFirst {
  private readonly cached: Uint8Array;
  private readonly uses: Float64Array;
  private readonly heapNext: Float64Array;
  private readonly heapKey: Int32Array;
  private readonly heapUses: Float64Array;
  private length = 0;
  private size = 0;

  constructor(
    distinct: number,
    private readonly capacity: number,
  ) {
    this.cached = new Uint8Array(distinct);
    this.uses = new Float64Array(distinct);
    const room = 4 * capacity + 64;
    this.heapNext = new Float64Array(room);
    this.heapKey = new Int32Array(room);
    this.heapUses = new Float64Array(room);
  }

  /** Uses `key` (next used at `next`); stores it if absent. Returns whether it was cached. */
  use(key: number, next: number): boolean {
    const hit = this.cached[key] === 1;
    if (!hit) {
      if (this.size === this.capacity) this.evictFarthest();
      this.cached[key] = 1;
      this.size++;
    }
    if (this.length === this.heapKey.length) this.compact();
    this.push(next, key, ++this.uses[key]);
    return hit;
  }

  clear(): void {
    this.cached.fill(0);
    this.size = 0;
    this.length = 0;
  }

  private current(slot: number): boolean {
    const key = this.heapKey[slot];
    return this.cached[key] === 1 && this.uses[key] === this.heapUses[slot];
  }

  private evictFarthest(): void {
    while (!this.current(0)) this.pop();
    this.cached[this.heapKey[0]] = 0;
    this.size--;
    this.pop();
  }

  /** Keeps only the current entries (one per cached key), as a heap again. */
  private compact(): void {
    let kept = 0;
    for (let slot = 0; slot < this.length; slot++) {
      if (!this.current(slot)) continue;
      this.heapNext[kept] = this.heapNext[slot];
      this.heapKey[kept] = this.heapKey[slot];
      this.heapUses[kept] = this.heapUses[slot];
      kept++;
    }
    this.length = kept;
    for (let slot = (kept >> 1) - 1; slot >= 0; slot--) this.siftDown(slot);
  }

  private push(next: number, key: number, uses: number): void {
    let slot = this.length++;
    this.heapNext[slot] = next;
    this.heapKey[slot] = key;
    this.heapUses[slot] = uses;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (this.heapNext[parent] >= this.heapNext[slot]) break;
      this.swap(slot, parent);
      slot = parent;
    }
  }

  private pop(): void {
    this.length--;
    this.swap(0, this.length);
    this.siftDown(0);
  }

  private siftDown(from: number): void {
    for (let slot = from; ;) {
      const left = 2 * slot + 1;
      const right = left + 1;
      let largest = slot;
      if (left < this.length && this.heapNext[left] > this.heapNext[largest]) largest = left;
      if (right < this.length && this.heapNext[right] > this.heapNext[largest]) largest = right;
      if (largest === slot) return;
      this.swap(slot, largest);
      slot = largest;
    }
  }

  private swap(a: number, b: number): void {
    const { heapNext, heapKey, heapUses } = this;
    const next = heapNext[a];
    const key = heapKey[a];
    const uses = heapUses[a];
    heapNext[a] = heapNext[b];
    heapKey[a] = heapKey[b];
    heapUses[a] = heapUses[b];
    heapNext[b] = next;
    heapKey[b] = key;
    heapUses[b] = uses;
  }
}
