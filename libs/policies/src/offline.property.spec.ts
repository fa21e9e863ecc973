import fc from 'fast-check';
import {
  EVICTION_POLICIES,
  type Trace,
  type TraceEntry,
  belady,
  lruMissRatioCurve,
  simulate,
} from './index';

/** Lookups, writes (a fifth as many) and clears (`clears` in 80) of `keys` keys. */
const entry = (keys: number, clears: number): fc.Arbitrary<TraceEntry> =>
  fc.oneof(
    { weight: 60, arbitrary: fc.nat(keys - 1).map((key) => ({ kind: 'lookup' as const, key })) },
    { weight: 15, arbitrary: fc.nat(keys - 1).map((key) => ({ kind: 'write' as const, key })) },
    { weight: clears, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );
const trace = (keys: number, maxLength: number, { minLength = 0, clears = 5 } = {}) =>
  fc.array(entry(keys, clears), { minLength, maxLength, size: 'max' });
const CAPACITIES = [1, 2, 3, 4, 5, 6];

/**
 * The fewest misses any choice of victims achieves, by trying them all: a miss or a write
 * stores its key and, when full, evicts any one other key; a clear empties.
 */
function fewestMisses(entries: Trace, capacity: number): number {
  const memo = new Map<string, number>();
  const search = (at: number, cached: readonly number[]): number => {
    if (at === entries.length) return 0;
    const state = `${at}:${cached.join(',')}`;
    const known = memo.get(state);
    if (known !== undefined) return known;
    const next = entries[at];
    let best: number;
    if (next.kind === 'clear') {
      best = search(at + 1, []);
    } else if (cached.includes(next.key)) {
      best = search(at + 1, cached);
    } else {
      const cost = next.kind === 'lookup' ? 1 : 0;
      const choices =
        cached.length < capacity
          ? [[...cached, next.key]]
          : cached.map((victim) => [...cached.filter((key) => key !== victim), next.key]);
      best =
        cost +
        Math.min(
          ...choices.map((choice) =>
            search(
              at + 1,
              choice.sort((a, b) => a - b),
            ),
          ),
        );
    }
    memo.set(state, best);
    return best;
  };
  return search(0, []);
}

/** OPT the slow way: at each eviction, scan ahead for each cached key's next use. */
function farthestFirstMisses(entries: Trace, capacity: number): number {
  const nextUse = (key: number, after: number): number => {
    for (let at = after + 1; at < entries.length; at++) {
      const entry = entries[at];
      if (entry.kind === 'clear' || (entry.kind === 'write' && entry.key === key)) break;
      if (entry.kind === 'lookup' && entry.key === key) return at;
    }
    return Infinity;
  };
  let cached: number[] = [];
  let misses = 0;
  entries.forEach((entry, at) => {
    if (entry.kind === 'clear') cached = [];
    else if (!cached.includes(entry.key)) {
      if (entry.kind === 'lookup') misses++;
      if (cached.length === capacity) {
        const farthest = Math.max(...cached.map((key) => nextUse(key, at)));
        const victim = cached.find((key) => nextUse(key, at) === farthest);
        cached = cached.filter((key) => key !== victim);
      }
      cached.push(entry.key);
    }
  });
  return misses;
}

describe("Bélády's OPT", () => {
  it('equals a direct scan for the farthest next use on long traces (its heap compacts)', () => {
    fc.assert(
      fc.property(
        trace(16, 400, { minLength: 200, clears: 0 }),
        fc.integer({ min: 1, max: 6 }),
        (entries, capacity) => {
          expect(belady(entries, [capacity])[0].misses).toBe(
            farthestFirstMisses(entries, capacity),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is the true optimum: no choice of victims misses less (exhaustive search)', () => {
    fc.assert(
      fc.property(trace(5, 14), fc.integer({ min: 1, max: 3 }), (entries, capacity) => {
        expect(belady(entries, [capacity])[0].misses).toBe(fewestMisses(entries, capacity));
      }),
      { numRuns: 300 },
    );
  });

  it('never misses more than any policy, on any trace with writes and clears', () => {
    fc.assert(
      fc.property(trace(10, 120), (entries) => {
        const opt = belady(entries, CAPACITIES);
        for (const result of simulate(entries, EVICTION_POLICIES, CAPACITIES)) {
          expect(result.misses).toBeGreaterThanOrEqual(opt[result.capacity - 1].misses);
          expect(result.lookups).toBe(opt[result.capacity - 1].lookups);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("LRU's miss-ratio curve (Mattson's stack algorithm)", () => {
  it('equals simulating LRU at each capacity, on any trace with writes and clears', () => {
    fc.assert(
      fc.property(trace(12, 300), fc.integer({ min: 1, max: 14 }), (entries, maxCapacity) => {
        const capacities = Array.from({ length: maxCapacity }, (_, i) => i + 1);
        expect(lruMissRatioCurve(entries, maxCapacity)).toEqual(
          simulate(entries, ['lru'], capacities),
        );
      }),
      { numRuns: 300 },
    );
  });
});
