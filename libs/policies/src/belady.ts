import { checkedCapacity } from './eviction-policy';
import { type PolicyResult, policyResult } from './key-cache';
import { CLEAR_ENTRY, LOOKUP_ENTRY, type PackedTrace, type Trace, packTrace } from './trace';

/** The position of a use that never comes: past every position of a trace. */
const NEVER = 0x7fffffff;

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
  const results: PolicyResult[] = [];
  for (const step of beladySteps(packTrace(trace), capacities)) if (step) results.push(step);
  return results;
}

/**
 * Bélády's OPT over `trace` at `capacities`, in order, in steps of at most `chunk` entries of
 * work, for a caller that must stay responsive or stop after a time: it yields `undefined`
 * between steps and each capacity's result once it is done. The look-ahead over the trace is
 * made once, in steps too (O(n)); each capacity then replays it (O(n log C)). Besides the trace,
 * it holds 8 bytes per entry and about 10 per distinct key (see docs/policies.md).
 */
export function* beladySteps(
  trace: PackedTrace,
  capacities: Iterable<number>,
  chunk = Number.POSITIVE_INFINITY,
): Generator<PolicyResult | undefined, void> {
  const { kinds } = trace;
  const length = kinds.length;
  if (length >= NEVER) throw new RangeError(`a trace of ${length} entries is too long for OPT`);
  // Each entry's key as a dense number, oldest first.
  const ids = new Map<number, number>();
  const keys = new Int32Array(length);
  for (let from = 0; from < length; from += chunk) {
    denseKeys(trace, ids, keys, from, Math.min(length, from + chunk));
    yield;
  }
  // Backwards: each entry's next use of its key, from `upcoming[id]`, the next lookup of id or
  // NEVER if a write of id or a clear comes first.
  const upcoming = new Int32Array(ids.size).fill(NEVER);
  const nextUse = new Int32Array(length);
  for (let to = length; to > 0; to -= chunk) {
    nextUses(kinds, keys, upcoming, nextUse, Math.max(0, to - chunk), to);
    yield;
  }
  for (const capacity of capacities) {
    const replay: Replay = {
      cache: new FarthestFirst(ids.size, checkedCapacity(capacity)),
      hits: 0,
      misses: 0,
    };
    for (let from = 0; from < length; from += chunk) {
      if (from > 0) yield;
      replayAt(replay, kinds, keys, nextUse, from, Math.min(length, from + chunk));
    }
    yield policyResult('opt', capacity, replay.hits, replay.misses);
  }
}

function denseKeys(
  { kinds, keys: original }: PackedTrace,
  ids: Map<number, number>,
  keys: Int32Array,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    if (kinds[i] === CLEAR_ENTRY) continue;
    let id = ids.get(original[i]);
    if (id === undefined) ids.set(original[i], (id = ids.size));
    keys[i] = id;
  }
}

function nextUses(
  kinds: Uint8Array,
  keys: Int32Array,
  upcoming: Int32Array,
  nextUse: Int32Array,
  from: number,
  to: number,
): void {
  for (let i = to - 1; i >= from; i--) {
    if (kinds[i] === CLEAR_ENTRY) {
      upcoming.fill(NEVER);
      continue;
    }
    nextUse[i] = upcoming[keys[i]];
    upcoming[keys[i]] = kinds[i] === LOOKUP_ENTRY ? i : NEVER;
  }
}

/** One capacity's replay, carried from step to step. */
interface Replay {
  readonly cache: FarthestFirst;
  hits: number;
  misses: number;
}

function replayAt(
  replay: Replay,
  kinds: Uint8Array,
  keys: Int32Array,
  nextUse: Int32Array,
  from: number,
  to: number,
): void {
  const { cache } = replay;
  for (let i = from; i < to; i++) {
    const kind = kinds[i];
    if (kind === CLEAR_ENTRY) {
      cache.clear();
    } else if (kind !== LOOKUP_ENTRY) {
      cache.use(keys[i], nextUse[i]);
    } else if (cache.use(keys[i], nextUse[i])) {
      replay.hits++;
    } else {
      replay.misses++;
    }
  }
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
