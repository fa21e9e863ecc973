import type { IndexHeat } from '@semicache/client';

/** One index's counts, as `GET /heat` shows them but for the time of the last access (ms since the epoch). */
export type IndexCounts = Omit<IndexHeat, 'lastAccess' | 'idleMs'> & {
  readonly lastAccess: number;
};

class Entry implements IndexCounts {
  lookups = 0;
  hits = 0;
  misses = 0;
  writes = 0;
  evictions = 0;
  lastAccess = 0;
  lookupsError = 0;
  /** Its place in the heap, once there is one. */
  position = -1;

  constructor(public index: number) {}
}

/**
 * Per-index heat in bounded memory: lookups, hits, misses, writes, evictions and last access of
 * at most `limit` indices, however many distinct ones arrive. Up to `limit` distinct indices
 * every count is exact. Past it, the table follows the Space-Saving algorithm (Metwally, Agrawal
 * and El Abbadi, 2005) on lookups: a new index takes the place of the index with the fewest
 * lookups and starts from that count (kept as its `lookupsError`, the most its count can
 * overstate), so an index looked up more often than one in every `limit` lookups is always in
 * the table. Its other counts start at 0 then. A write or an eviction of an index not in a full
 * table is not counted.
 *
 * Each count is O(1) while the table is not full; once it is, a min-heap on lookups finds the
 * index to replace, and a count moves its index down the heap (O(log limit), in practice a
 * step or two: a hot index sinks to the leaves and stays there).
 */
export class HeatTable {
  private readonly entries = new Map<number, Entry>();
  /** Built the first time the table is full: the entry with the fewest lookups first. */
  private heap: Entry[] | undefined;
  private replaced = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`a heat table needs a positive limit, not ${limit}`);
    }
  }

  /** Indices counted now. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether every count is exact: no index ever had to make room for another. */
  get exact(): boolean {
    return this.replaced === 0;
  }

  lookedUp(index: number, hit: boolean, now: number): void {
    const entry = this.entries.get(index) ?? this.admit(index);
    entry.lookups++;
    if (hit) entry.hits++;
    else entry.misses++;
    entry.lastAccess = now;
    if (this.heap !== undefined) this.sinkDown(this.heap, entry.position);
  }

  written(index: number, now: number): void {
    const entry = this.entries.get(index) ?? this.addIfRoom(index);
    if (entry === undefined) return;
    entry.writes++;
    entry.lastAccess = now;
  }

  evicted(index: number): void {
    const entry = this.entries.get(index);
    if (entry !== undefined) entry.evictions++;
  }

  /** The `count` indices with the most lookups (ties: the lower index first), as copies. */
  top(count: number): IndexCounts[] {
    return [...this.entries.values()]
      .sort((a, b) => b.lookups - a.lookups || a.index - b.index)
      .slice(0, count)
      .map((entry) => ({
        index: entry.index,
        lookups: entry.lookups,
        hits: entry.hits,
        misses: entry.misses,
        writes: entry.writes,
        evictions: entry.evictions,
        lastAccess: entry.lastAccess,
        lookupsError: entry.lookupsError,
      }));
  }

  private addIfRoom(index: number): Entry | undefined {
    if (this.entries.size >= this.limit) return undefined;
    const entry = new Entry(index);
    this.entries.set(index, entry);
    return entry;
  }

  /** An entry for a new index: a new one while there is room, else the coldest one's. */
  private admit(index: number): Entry {
    const added = this.addIfRoom(index);
    if (added !== undefined) return added;
    const heap = (this.heap ??= this.buildHeap());
    const coldest = heap[0];
    this.entries.delete(coldest.index);
    this.replaced++;
    coldest.index = index;
    coldest.lookupsError = coldest.lookups;
    coldest.hits = coldest.misses = coldest.writes = coldest.evictions = 0;
    this.entries.set(index, coldest);
    return coldest;
  }

  private buildHeap(): Entry[] {
    const heap = [...this.entries.values()];
    heap.forEach((entry, position) => (entry.position = position));
    for (let position = (heap.length >> 1) - 1; position >= 0; position--) {
      this.sinkDown(heap, position);
    }
    return heap;
  }

  /** Moves the entry at `position` down while a child has fewer lookups. */
  private sinkDown(heap: Entry[], position: number): void {
    const entry = heap[position];
    for (;;) {
      const left = 2 * position + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].lookups < heap[left].lookups ? right : left;
      if (heap[child].lookups >= entry.lookups) break;
      heap[position] = heap[child];
      heap[position].position = position;
      position = child;
    }
    heap[position] = entry;
    entry.position = position;
  }
}
