import { EVICTION_POLICIES, type EvictionPolicyName, createPolicy } from '@semicache/policies';
import type { CacheListener } from './cache-listener';
import { EntryCache } from './entry-cache';

function cacheOf(capacity: number, policy: EvictionPolicyName): EntryCache {
  return new EntryCache(createPolicy(policy, capacity));
}

/** Stores index i with value i*10 at time `now`; returns the evictions of each store. */
function fill(cache: EntryCache, indices: readonly number[], now = 1000): number[] {
  return indices.map((index) => cache.store(index, BigInt(index * 10), now));
}

const order = (cache: EntryCache): number[] => cache.entries().map((entry) => entry.index);

describe.each(EVICTION_POLICIES)('EntryCache (%s)', (policy) => {
  it('starts empty and reports its capacity and policy', () => {
    const cache = cacheOf(5, policy);
    expect(cache.size).toBe(0);
    expect(cache.capacity).toBe(5);
    expect(cache.policy.name).toBe(policy);
    expect(cache.entries()).toEqual([]);
    expect(cache.lookup(0)).toBeUndefined();
  });

  it('holds up to its capacity without evicting, then evicts exactly one per new key', () => {
    const cache = cacheOf(3, policy);
    expect(fill(cache, [0, 1, 2])).toEqual([0, 0, 0]);
    expect(cache.size).toBe(3);
    expect(fill(cache, [3, 4, 5, 6])).toEqual([1, 1, 1, 1]);
    expect(cache.size).toBe(3);
    // With no reads in between, both policies drop the oldest stored.
    expect(order(cache)).toEqual([4, 5, 6]);
    for (const gone of [0, 1, 2, 3]) expect(cache.lookup(gone)).toBeUndefined();
  });

  it('never evicts when an existing key is stored again, even when full', () => {
    const cache = cacheOf(2, policy);
    fill(cache, [7, 8]);
    expect(cache.store(7, 70n, 2000, undefined, true)).toBe(0);
    expect(cache.store(8, 80n, 2000)).toBe(0);
    expect(cache.size).toBe(2);
  });

  it('returns the stored value, including the extremes of signed 64-bit', () => {
    const cache = cacheOf(3, policy);
    cache.store(0, -9223372036854775808n, 1);
    cache.store(1, 9223372036854775807n, 1);
    cache.store(2, 0n, 1);
    expect(cache.lookup(0)).toBe(-9223372036854775808n);
    expect(cache.lookup(1)).toBe(9223372036854775807n);
    // 0 is a value, not a miss.
    expect(cache.lookup(2)).toBe(0n);
  });

  it('overwrites an existing key with the new value and the new time on a write', () => {
    const cache = cacheOf(3, policy);
    cache.store(4, 1n, 1000);
    cache.store(4, -2n, 5000, undefined, true);
    expect(cache.lookup(4)).toBe(-2n);
    expect(cache.entries()).toEqual([{ index: 4, value: -2n, storedAt: 5000 }]);
  });

  it('takes the value of a second fill of a cached key, but not its time', () => {
    const cache = cacheOf(3, policy);
    cache.store(4, 1n, 1000);
    cache.store(4, 2n, 5000);
    expect(cache.entries()).toEqual([{ index: 4, value: 2n, storedAt: 1000 }]);
  });

  it('lists entries in eviction order with their values and storedAt', () => {
    const cache = cacheOf(3, policy);
    cache.store(2, 20n, 100);
    cache.store(0, 0n, 200);
    cache.store(9, -90n, 300);
    expect(cache.entries()).toEqual([
      { index: 2, value: 20n, storedAt: 100 },
      { index: 0, value: 0n, storedAt: 200 },
      { index: 9, value: -90n, storedAt: 300 },
    ]);
  });

  it('keeps storedAt on reads', () => {
    const cache = cacheOf(2, policy);
    cache.store(1, 10n, 100);
    expect(cache.lookup(1)).toBe(10n);
    expect(cache.entries()[0].storedAt).toBe(100);
  });

  it('removes one entry and frees its room', () => {
    const cache = cacheOf(2, policy);
    fill(cache, [1, 2]);
    cache.remove(1);
    cache.remove(42); // absent: no effect
    expect(cache.size).toBe(1);
    expect(cache.lookup(1)).toBeUndefined();
    expect(order(cache)).toEqual([2]);
    expect(cache.store(3, 30n, 1)).toBe(0);
    expect(order(cache)).toEqual([2, 3]);
  });

  it('clears everything, and is usable after', () => {
    const cache = cacheOf(2, policy);
    fill(cache, [1, 2]);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.entries()).toEqual([]);
    expect(cache.lookup(1)).toBeUndefined();
    expect(fill(cache, [5, 6, 7])).toEqual([0, 0, 1]);
    expect(order(cache)).toEqual([6, 7]);
  });

  it('works with capacity 1', () => {
    const cache = cacheOf(1, policy);
    expect(cache.store(1, 1n, 1)).toBe(0);
    expect(cache.lookup(1)).toBe(1n);
    expect(cache.store(2, 2n, 2)).toBe(1);
    expect(cache.lookup(1)).toBeUndefined();
    expect(cache.entries()).toEqual([{ index: 2, value: 2n, storedAt: 2 }]);
  });
});

describe('EntryCache: where FIFO and LRU differ', () => {
  /** The same calls on a cache of capacity 3; the expected state after each for both policies. */
  const cases: ReadonlyArray<{
    name: string;
    run: (cache: EntryCache) => void;
    fifo: number[];
    lru: number[];
  }> = [
    {
      name: 'a read (hit) of the oldest entry',
      run: (cache) => void cache.lookup(0),
      fifo: [0, 1, 2],
      lru: [1, 2, 0],
    },
    {
      name: 'a miss changes nothing',
      run: (cache) => void cache.lookup(9),
      fifo: [0, 1, 2],
      lru: [0, 1, 2],
    },
    {
      name: 'overwriting the oldest entry: FIFO keeps its position, LRU makes it the newest',
      run: (cache) => void cache.store(0, 99n, 2000, undefined, true),
      fifo: [0, 1, 2],
      lru: [1, 2, 0],
    },
    {
      name: 'a new key after reading the oldest evicts the oldest under FIFO, the next under LRU',
      run: (cache) => {
        cache.lookup(0);
        cache.store(3, 30n, 2000);
      },
      fifo: [1, 2, 3],
      lru: [2, 0, 3],
    },
    {
      name: 'a second fill of the oldest entry is no use of it: neither policy moves it',
      run: (cache) => void cache.store(0, 99n, 2000),
      fifo: [0, 1, 2],
      lru: [0, 1, 2],
    },
    {
      name: 'a new key after overwriting the oldest',
      run: (cache) => {
        cache.store(0, 99n, 2000, undefined, true);
        cache.store(3, 30n, 2000);
      },
      fifo: [1, 2, 3],
      lru: [2, 0, 3],
    },
  ];

  it.each(cases)('$name', ({ run, fifo, lru }) => {
    for (const [policy, expected] of [
      ['fifo', fifo],
      ['lru', lru],
    ] as const) {
      const cache = cacheOf(3, policy);
      fill(cache, [0, 1, 2]);
      run(cache);
      expect({ policy, order: order(cache) }).toEqual({ policy, order: expected });
      expect(cache.size).toBe(3);
    }
  });

  it('an overwritten entry keeps its new value and time wherever the policy puts it', () => {
    for (const policy of EVICTION_POLICIES) {
      const cache = cacheOf(3, policy);
      fill(cache, [0, 1, 2], 1000);
      cache.store(0, -5n, 3000, undefined, true);
      const entry = cache.entries().find((candidate) => candidate.index === 0);
      expect(entry).toEqual({ index: 0, value: -5n, storedAt: 3000 });
    }
  });

  it('the 6th distinct key overwrites the oldest under FIFO even if it was just read', () => {
    const fifo = cacheOf(5, 'fifo');
    const lru = cacheOf(5, 'lru');
    for (const cache of [fifo, lru]) {
      fill(cache, [0, 1, 2, 3, 4]);
      expect(cache.lookup(0)).toBe(0n);
      expect(cache.store(5, 50n, 2000)).toBe(1);
    }
    expect(order(fifo)).toEqual([1, 2, 3, 4, 5]);
    expect(fifo.lookup(0)).toBeUndefined();
    expect(order(lru)).toEqual([2, 3, 4, 0, 5]);
    expect(lru.lookup(0)).toBe(0n);
  });
});

/** Every report as one line, with the cause it was given. */
function recorder() {
  const reports: string[] = [];
  const listener: CacheListener<string> = {
    hit: (cause, index, now) => reports.push(`${cause} hit ${index} @${now}`),
    miss: (cause, index, now, bypassed) =>
      reports.push(`${cause} miss ${index} @${now}${bypassed ? ' (bypassed)' : ''}`),
    stored: (cause, index, value) => reports.push(`${cause} stored ${index}=${value}`),
    skipped: (cause, index, value) => reports.push(`${cause} skipped ${index}=${value}`),
    written: (cause, index, value, now) =>
      reports.push(`${cause} written ${index}=${value} @${now}`),
    evicted: (cause, index, ageMs, reason) =>
      reports.push(`${cause} evicted ${index} age ${ageMs} (${reason})`),
    dropped: (cause, index) => reports.push(`${cause} dropped ${index}`),
    cleared: (cause, entries) => reports.push(`${cause} cleared ${entries}`),
    configured: (cause, policy, capacity) =>
      reports.push(`${cause} configured ${policy} ${capacity}`),
  };
  return { reports, listener };
}

describe('EntryCache: what it reports to its listeners', () => {
  it.each([
    ['fifo', 'oldest', 0],
    ['lru', 'least-recent', 1],
  ] as const)(
    'reports each step in order, evictions with age and %s reason',
    (policy, reason, victim) => {
      const { reports, listener } = recorder();
      const cache = new EntryCache<string>(createPolicy(policy, 2), [listener, listener]);
      cache.store(0, 10n, 1000, 'a');
      cache.store(1, 11n, 1500, 'a');
      cache.lookup(0, 'b', 1600);
      cache.lookup(7, 'b', 1600);
      cache.missBypassed(1, 'b', 1600);
      cache.store(2, 12n, 4000, 'c');
      cache.skipFill(3, 13n, 'c');
      cache.store(2, 22n, 4100, 'd', true);
      cache.remove(2, 'e');
      cache.remove(9, 'e'); // not cached: nothing to report
      cache.clear('f');
      const once = [
        'a stored 0=10',
        'a stored 1=11',
        'b hit 0 @1600',
        'b miss 7 @1600',
        'b miss 1 @1600 (bypassed)',
        // Room is made before the new entry is stored.
        `c evicted ${victim} age ${victim === 0 ? 3000 : 2500} (${reason})`,
        'c stored 2=12',
        'c skipped 3=13',
        'd written 2=22 @4100',
        'e dropped 2',
        'f cleared 1',
      ];
      // Each report reaches every listener before the next step.
      expect(reports).toEqual(once.flatMap((line) => [line, line]));
    },
  );

  it("reports each of ARC's victims with the list it left, also when a change evicts several", () => {
    const { reports, listener } = recorder();
    const cache = new EntryCache<string>(createPolicy('arc', 3), [listener]);
    fill(cache, [1, 2, 3], 1000);
    cache.lookup(1, 'a', 1000); // used again: to T2, least recent first (1 2)
    cache.lookup(2, 'a', 1000);
    cache.store(4, 40n, 2000, 'b'); // T1 (3) over its target 0: 3 goes
    expect(reports.slice(-2)).toEqual(['b evicted 3 age 1000 (arc-t1)', 'b stored 4=40']);
    reports.length = 0;
    // T1 (4) first, then T2's least recent (1).
    expect(cache.reconfigure('arc', 1, 3000, 'cfg')).toEqual([4, 1]);
    expect(reports).toEqual([
      'cfg evicted 4 age 1000 (arc-t1)',
      'cfg evicted 1 age 2000 (arc-t2)',
      'cfg configured arc 1',
    ]);
  });

  it('a miss while a write is in flight does not count as a use for LRU', () => {
    const cache = new EntryCache<string>(createPolicy('lru', 2));
    cache.store(0, 0n, 1);
    cache.store(1, 1n, 1);
    cache.missBypassed(0, undefined, 2);
    expect(order(cache)).toEqual([0, 1]);
  });
});

describe('EntryCache: changing the policy and the capacity at run time', () => {
  it('shrinking evicts by the policy, with what it knows (LFU: the least used), and reports each eviction', () => {
    const { listener, reports } = recorder();
    const cache = new EntryCache<string>(createPolicy('lfu', 4), [listener]);
    fill(cache, [0, 1, 2, 3], 1000);
    cache.lookup(0);
    cache.lookup(0);
    cache.lookup(2);
    reports.length = 0;
    expect(cache.reconfigure('lfu', 2, 3000, 'cfg')).toEqual([1, 3]);
    expect(order(cache)).toEqual([2, 0]);
    expect(cache.capacity).toBe(2);
    expect(reports).toEqual([
      'cfg evicted 1 age 2000 (least-frequent)',
      'cfg evicted 3 age 2000 (least-frequent)',
      'cfg configured lfu 2',
    ]);
  });

  it('growing evicts nothing and makes room for more', () => {
    const cache = cacheOf(2, 'fifo');
    fill(cache, [0, 1]);
    expect(cache.reconfigure('fifo', 4, 2000)).toEqual([]);
    expect(fill(cache, [2, 3, 4])).toEqual([0, 0, 1]);
    expect(order(cache)).toEqual([1, 2, 3, 4]);
  });

  it('a new policy keeps every entry, value and age, taking them in the old eviction order', () => {
    const cache = cacheOf(4, 'lru');
    cache.store(0, 0n, 100);
    cache.store(1, 10n, 200);
    cache.store(2, 20n, 300);
    cache.lookup(0); // LRU order: 1 2 0
    const before = cache.entries();
    expect(cache.reconfigure('fifo', 4, 5000)).toEqual([]);
    expect(cache.policy.name).toBe('fifo');
    expect(cache.entries()).toEqual(before);
    // FIFO from here on: a read moves nothing, a new key pushes out the first taken in.
    cache.lookup(1);
    cache.store(3, 30n, 6000);
    cache.store(4, 40n, 6000);
    expect(order(cache)).toEqual([2, 0, 3, 4]);
  });

  it('a new policy and a smaller capacity at once: the new policy, with no history yet, evicts what the old would have first', () => {
    const { listener, reports } = recorder();
    const cache = new EntryCache<string>(createPolicy('lru', 3), [listener]);
    fill(cache, [0, 1, 2], 1000);
    cache.lookup(0); // LRU order: 1 2 0
    reports.length = 0;
    expect(cache.reconfigure('sieve', 1, 1500, 'cfg')).toEqual([1, 2]);
    expect(cache.policy.name).toBe('sieve');
    expect(order(cache)).toEqual([0]);
    expect(reports).toEqual([
      'cfg evicted 1 age 500 (unvisited)',
      'cfg evicted 2 age 500 (unvisited)',
      'cfg configured sieve 1',
    ]);
  });
});
