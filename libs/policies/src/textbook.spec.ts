import {
  ArcPolicy,
  EVICTION_POLICIES,
  type EvictionPolicy,
  type SimulatedPolicy,
  type Trace,
  createPolicy,
  simulate,
} from './index';

const lookups = (...keys: number[]): Trace => keys.map((key) => ({ kind: 'lookup', key }));

function misses(trace: Trace, policy: SimulatedPolicy, capacity: number): number {
  return simulate(trace, [policy], [capacity])[0].misses;
}

/** Drives a policy as a cache does on lookups, storing every miss; returns the victims. */
function victims(policy: EvictionPolicy, keys: number[]): number[] {
  const evicted: number[] = [];
  for (const key of keys) {
    if (policy.read(key)) continue;
    const victim = policy.insert(key);
    if (victim !== undefined) evicted.push(victim);
  }
  return evicted;
}

describe("Bélády's reference string 1,2,3,4,1,2,5,1,2,3,4,5", () => {
  const trace = lookups(1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5);

  it("shows Bélády's anomaly under FIFO: 9 misses with 3 slots, 10 with 4", () => {
    expect(misses(trace, 'fifo', 3)).toBe(9);
    expect(misses(trace, 'fifo', 4)).toBe(10);
  });

  it('costs LRU 10 misses with 3 slots and 8 with 4 (a stack algorithm: never worse with more room)', () => {
    expect(misses(trace, 'lru', 3)).toBe(10);
    expect(misses(trace, 'lru', 4)).toBe(8);
  });

  it('costs OPT 7 misses with 3 slots and 6 with 4', () => {
    expect(misses(trace, 'opt', 3)).toBe(7);
    expect(misses(trace, 'opt', 4)).toBe(6);
  });
});

describe('a hot key among a scan (capacity 3): 1,2,3,1,4,5,1,6,7,8,1', () => {
  // Worked by hand:
  // FIFO drops 1 at 4 and again at 8: it hits only the 4th lookup. 10 misses.
  // LRU keeps 1 until the scan 6,7,8 pushes it out; CLOCK does the same: the hand clears 1's
  //   bit at 6 and moves it behind 4, so at 8 it is the oldest with a clear bit. 9 misses.
  // SIEVE's hand clears 1's bit at 4 but 1 stays at the old end; the 2nd hit sets it again,
  //   and the hand (at 4, then 5, 6) evicts 4, 5, 6 without reaching 1 again. 8 misses.
  // LFU: 1 is used 3 times, every scan key once: the scan evicts only scan keys. 8 misses.
  // ARC: 1 goes to T2 at its first hit; T1 > p = 0, so every eviction comes from T1. 8 misses.
  // OPT keeps 1 throughout: 8 misses (each other key is new).
  const trace = lookups(1, 2, 3, 1, 4, 5, 1, 6, 7, 8, 1);
  const expected: Record<SimulatedPolicy, number> = {
    fifo: 10,
    lru: 9,
    clock: 9,
    sieve: 8,
    lfu: 8,
    arc: 8,
    opt: 8,
  };

  it.each(Object.entries(expected))('%s misses %i times', (policy, count) => {
    expect(misses(trace, policy as SimulatedPolicy, 3)).toBe(count);
  });

  it('ends with each policy holding what the hand count says, next victim first', () => {
    const orders = Object.fromEntries(
      EVICTION_POLICIES.map((name) => {
        const policy = createPolicy(name, 3);
        victims(policy, [1, 2, 3, 1, 4, 5, 1, 6, 7, 8, 1]);
        return [name, policy.order()];
      }),
    );
    expect(orders).toEqual({
      fifo: [7, 8, 1],
      lru: [7, 8, 1],
      clock: [7, 8, 1],
      // The hand is at 7; 1 is behind it, visited.
      sieve: [7, 8, 1],
      lfu: [7, 8, 1],
      arc: [7, 8, 1],
    });
  });
});

describe('CLOCK, worked by hand (capacity 3)', () => {
  it('gives a referenced key a second chance: 1,2,3,1,4,1,5,1', () => {
    // [1 2 3], all bits clear. 1 hits: bit set. 4: the hand clears 1 and moves it behind,
    // evicts 2 -> [3 1 4]. 1 hits: bit set. 5: the hand is at 3, clear: evicts 3 -> [1 4 5].
    // 1 hits. FIFO would have evicted 1 at 4 and missed it next.
    const policy = createPolicy('clock', 3);
    expect(victims(policy, [1, 2, 3, 1, 4, 1, 5, 1])).toEqual([2, 3]);
    expect(policy.order()).toEqual([4, 5, 1]);
    expect(misses(lookups(1, 2, 3, 1, 4, 1, 5, 1), 'clock', 3)).toBe(5);
    expect(misses(lookups(1, 2, 3, 1, 4, 1, 5, 1), 'fifo', 3)).toBe(6);
  });

  it('evicts the oldest when every bit is set (one full turn of the hand)', () => {
    const policy = createPolicy('clock', 2);
    expect(victims(policy, [1, 2, 1, 2, 3])).toEqual([1]);
    expect(policy.order()).toEqual([2, 3]);
  });
});

describe('SIEVE, worked by hand (capacity 3)', () => {
  it('keeps survivors in place and moves its hand on from the last victim', () => {
    // [1 2 3] oldest first. 1 hits: visited. 4: the hand starts at the oldest, 1: clears it,
    // moves to 2: unvisited, evicted; the hand stays at 3. New keys join the newest end:
    // [1 3 4]. 5: the hand is at 3: evicted -> [1 4 5], hand at 4. CLOCK would have evicted 1
    // here: its hand restarts at the oldest, and 1 is the oldest with a clear bit.
    const policy = createPolicy('sieve', 3);
    expect(victims(policy, [1, 2, 3, 1, 4, 5])).toEqual([2, 3]);
    expect(policy.order()).toEqual([4, 5, 1]);
    const clock = createPolicy('clock', 3);
    expect(victims(clock, [1, 2, 3, 1, 4, 5])).toEqual([2, 3]);
    expect(victims(clock, [6])).toEqual([1]);
    expect(victims(policy, [6])).toEqual([4]);
  });

  it('wraps its hand from the newest end to the oldest', () => {
    // [1 2 3], 2 and 3 visited. 4: from 1 (unvisited) evicts 1, hand at 2 -> [2 3 4].
    // 5: clears 2 and 3, reaches 4 (unvisited): evicts it, hand past the newest -> [2 3 5].
    // 6: the hand wraps to the oldest, 2, now clear: evicted.
    const policy = createPolicy('sieve', 3);
    expect(victims(policy, [1, 2, 3, 2, 3, 4, 5, 6])).toEqual([1, 4, 2]);
    expect(policy.order()).toEqual([3, 5, 6]);
  });
});

describe('LFU, worked by hand', () => {
  it('evicts the least used, whatever their recency: 1,1,2,3,2,4,5,1 (capacity 3)', () => {
    // Counts after 2 hits: 1:2 2:2 3:1. 4 evicts 3 (the only one used once); 5 evicts 4.
    // LRU would evict 1 at 4 (least recently used) and miss it at the end.
    const policy = createPolicy('lfu', 3);
    expect(victims(policy, [1, 1, 2, 3, 2, 4, 5, 1])).toEqual([3, 4]);
    expect(policy.order()).toEqual([5, 2, 1]);
    const trace = lookups(1, 1, 2, 3, 2, 4, 5, 1);
    expect([misses(trace, 'lfu', 3), misses(trace, 'lru', 3)]).toEqual([5, 6]);
  });

  it('breaks ties by age: of equal counts, the one that reached its count first goes', () => {
    // Capacity 2. 1,2,1,2: both counted twice, 1 first -> 3 evicts 1.
    expect(victims(createPolicy('lfu', 2), [1, 2, 1, 2, 3])).toEqual([1]);
    // 1,2,2,1: 2 reached two uses first -> 3 evicts 2.
    expect(victims(createPolicy('lfu', 2), [1, 2, 2, 1, 3])).toEqual([2]);
  });
});

describe('ARC, worked by hand (capacity 2): 1,1,2,3,2,1,3,4,2', () => {
  // State after each access: T1 | T2 | B1 | B2 | p (least recent first). ARC's order (next
  // victim first) takes T1 while |T1| > p, then T2, then the rest of T1.
  //  1  miss  new                   1 | -   | -   | -   | 0
  //  1  hit   to T2                 - | 1   | -   | -   | 0
  //  2  miss  new, room             2 | 1   | -   | -   | 0
  //  3  miss  new: |T1| 1 > p 0: 2 to B1
  //                                 3 | 1   | 2   | -   | 0
  //  2  miss  ghost in B1: p += 1 (|B1| >= |B2|). |T1| 1 > p 1? no: T2's 1 to B2; 2 to T2
  //                                 3 | 2   | -   | 1   | 1
  //  1  miss  ghost in B2: p -= 1. |T1| 1 > p 0: 3 to B1; 1 to T2
  //                                 - | 2 1 | 3   | -   | 0
  //  3  miss  ghost in B1: p += 1. T1 empty: T2's 2 to B2; 3 to T2
  //                                 - | 1 3 | -   | 2   | 1
  //  4  miss  new: T1 empty: T2's 1 to B2; 4 to T1 (the lists hold 2c: nothing trimmed)
  //                                 4 | 3   | -   | 2 1 | 1
  //  2  miss  ghost in B2: p -= 1. |T1| 1 > p 0: 4 to B1; 2 to T2
  //                                 - | 3 2 | 4   | 1   | 0
  const steps = [
    { key: 1, victim: undefined, order: [1], p: 0 },
    { key: 1, victim: undefined, order: [1], p: 0 },
    { key: 2, victim: undefined, order: [2, 1], p: 0 },
    { key: 3, victim: 2, order: [3, 1], p: 0 },
    { key: 2, victim: 1, order: [2, 3], p: 1 },
    { key: 1, victim: 3, order: [2, 1], p: 0 },
    { key: 3, victim: 2, order: [1, 3], p: 1 },
    { key: 4, victim: 1, order: [3, 4], p: 1 },
    { key: 2, victim: 4, order: [3, 2], p: 0 },
  ];

  it('moves its target with each ghost and evicts by it, access by access', () => {
    const policy = new ArcPolicy(2);
    const seen = steps.map(({ key }) => {
      const [victim] = victims(policy, [key]);
      return { key, victim, order: policy.order(), p: policy.target };
    });
    expect(seen).toEqual(steps);
  });

  it('names the list each victim left (T1: used once, T2: used again) as its reason', () => {
    const policy = new ArcPolicy(2);
    const reasons = steps.flatMap(({ key }) => {
      const [victim] = victims(policy, [key]);
      return victim === undefined ? [] : [`${victim} ${policy.reason}`];
    });
    expect(reasons).toEqual([
      '2 arc-t1',
      '1 arc-t2',
      '3 arc-t1',
      '2 arc-t2',
      '1 arc-t2',
      '4 arc-t1',
    ]);
  });

  it('evicts otherwise when the 5th key leaves no ghost to move its target', () => {
    // The same start, then a key never seen instead of 2: p stays 0, so T1's 3 goes where the
    // ghost of 2 made ARC evict T2's 1.
    const policy = createPolicy('arc', 2);
    expect(victims(policy, [1, 1, 2, 3, 9])).toEqual([2, 3]);
  });

  it('trims its ghosts to the capacity when new keys stream through T1', () => {
    // With T2 empty, |T1| + |B1| reaches c: the new key's victim leaves no ghost, so a key
    // evicted two misses ago is new again (it does not move p).
    const policy = new ArcPolicy(2);
    expect(victims(policy, [1, 2, 3, 4, 1])).toEqual([1, 2, 3]);
    expect(policy.order()).toEqual([4, 1]);
  });
});
