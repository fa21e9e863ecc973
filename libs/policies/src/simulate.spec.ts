import { type SimulatedPolicy, type Trace, belady, lruMissRatioCurve, simulate } from './index';

const lookup = (key: number) => ({ kind: 'lookup', key }) as const;
const write = (key: number) => ({ kind: 'write', key }) as const;
const clear = { kind: 'clear' } as const;

describe('simulate', () => {
  it('answers policy by policy, capacities in the order asked, with counts and hit ratio', () => {
    const trace: Trace = [lookup(1), lookup(2), lookup(1), lookup(3), lookup(1)];
    expect(simulate(trace, ['fifo', 'opt'], [2, 1])).toEqual([
      // FIFO, 2 slots: 1 2 miss, 1 hit, 3 evicts 1, 1 misses.
      { policy: 'fifo', capacity: 2, lookups: 5, hits: 1, misses: 4, hitRatio: 0.2 },
      { policy: 'fifo', capacity: 1, lookups: 5, hits: 0, misses: 5, hitRatio: 0 },
      // OPT, 2 slots: 3 evicts 2 (never used again): 1 hits twice.
      { policy: 'opt', capacity: 2, lookups: 5, hits: 2, misses: 3, hitRatio: 0.4 },
      { policy: 'opt', capacity: 1, lookups: 5, hits: 0, misses: 5, hitRatio: 0 },
    ]);
  });

  it('counts only lookups: a write stores its key (write-allocate), a clear empties', () => {
    const trace: Trace = [write(1), lookup(1), clear, lookup(1), write(2), write(3), lookup(2)];
    for (const policy of ['lru', 'opt'] as const) {
      // 1 hits after its write; misses after the clear; with one slot, 3 pushed 2 out.
      expect(simulate(trace, [policy], [1])[0]).toMatchObject({ lookups: 3, hits: 1, misses: 2 });
    }
  });

  it('gives a hit ratio of 0, not NaN, with no lookup', () => {
    expect(simulate([write(1), clear], ['arc', 'opt'], [3]).map((r) => r.hitRatio)).toEqual([0, 0]);
  });

  it('refuses an unknown policy or a capacity that is not a positive integer', () => {
    expect(() => simulate([], ['mru' as SimulatedPolicy], [1])).toThrow('unknown policy "mru"');
    for (const policy of ['lru', 'opt'] as const) {
      expect(() => simulate([], [policy], [0])).toThrow(RangeError);
      expect(() => simulate([], [policy], [2.5])).toThrow(RangeError);
    }
    expect(() => lruMissRatioCurve([], 0)).toThrow(RangeError);
  });
});

describe("OPT's rule for writes and clears", () => {
  it('treats a key written before its next lookup as never used again (the write brings it back)', () => {
    // 2 slots. At 3, keeping 1 is worthless: the write of 1 comes before its next lookup and
    // stores it anyway. So 3 evicts 1, the write then evicts 3 (never used again), and both
    // later lookups hit: 3 misses. Counting the write as a use of the old copy would evict 2
    // at 3 and miss it later: 4 misses.
    const trace: Trace = [lookup(1), lookup(2), lookup(3), write(1), lookup(2), lookup(1)];
    expect(belady(trace, [2])[0]).toMatchObject({ hits: 2, misses: 3 });
  });

  it('starts from an empty cache after a clear', () => {
    expect(belady([lookup(1), clear, lookup(1)], [1])[0]).toMatchObject({ hits: 0, misses: 2 });
  });

  it('stores a written key even when full, evicting the key used farthest ahead', () => {
    // 1 slot: the write of 2 must evict 1, so the last lookup of 1 misses.
    expect(belady([lookup(1), write(2), lookup(1)], [1])[0]).toMatchObject({ misses: 2 });
  });
});

describe("LRU's miss-ratio curve", () => {
  it('gives every capacity at once from the stack distances', () => {
    // Distances: 1 2 3 (new), 1 at depth 3, 2 at depth 3, 2 at depth 1.
    const trace: Trace = [1, 2, 3, 1, 2, 2].map(lookup);
    expect(lruMissRatioCurve(trace, 4).map((r) => [r.capacity, r.hits, r.misses])).toEqual([
      [1, 1, 5],
      [2, 1, 5],
      [3, 3, 3],
      [4, 3, 3],
    ]);
  });
});
