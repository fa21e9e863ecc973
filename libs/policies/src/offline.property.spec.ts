import fc from 'fast-check';
import {
  EVICTION_POLICIES,
  type Trace,
  type TraceEntry,
  belady,
  lruMissRatioCurve,
  simulate,
} from './index';

const entry = (keys: number): fc.Arbitrary<TraceEntry> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.nat(keys - 1).map((key) => ({ kind: 'lookup' as const, key })) },
    { weight: 3, arbitrary: fc.nat(keys - 1).map((key) => ({ kind: 'write' as const, key })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );
const trace = (keys: number, maxLength: number) => fc.array(entry(keys), { maxLength });
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

describe("Bélády's OPT", () => {
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
