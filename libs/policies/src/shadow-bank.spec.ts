import fc from 'fast-check';
import { EVICTION_POLICIES, KeyCache, MAX_SHADOW_CAPACITY, ShadowBank } from './index';

const counts = (bank: ShadowBank) =>
  bank
    .results()
    .map(({ policy, capacity, hits, misses }) => `${policy}@${capacity}: ${hits}/${misses}`);

describe('ShadowBank', () => {
  it('shadows every policy at capacities 1..10 by default, policy by policy', () => {
    const results = new ShadowBank().results();
    expect(results).toHaveLength(EVICTION_POLICIES.length * 10);
    expect(results.slice(0, 11).map((r) => `${r.policy}@${r.capacity}`)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `fifo@${i + 1}`),
      'lru@1',
    ]);
    expect(results[0]).toEqual({
      policy: 'fifo',
      capacity: 1,
      lookups: 0,
      hits: 0,
      misses: 0,
      hitRatio: 0,
    });
  });

  it('takes the policies and the largest capacity it is given (up to 64), each policy once', () => {
    const bank = new ShadowBank({
      policies: ['arc', 'lru', 'arc'],
      maxCapacity: MAX_SHADOW_CAPACITY,
    });
    expect(bank.policies).toEqual(['arc', 'lru']);
    expect(bank.results()).toHaveLength(2 * 64);
    for (const maxCapacity of [0, 65, 2.5]) {
      expect(() => new ShadowBank({ maxCapacity })).toThrow(RangeError);
    }
  });

  it('fills at once a shadow that missed where the live cache hit; the others wait for the live fill', () => {
    // Live: LRU with 2 slots. Shadows: LRU at 1 and 2.
    const bank = new ShadowBank({ policies: ['lru'], maxCapacity: 2 });
    bank.lookup(1, false); // everybody misses; the live cache fetches 1
    bank.fill(1);
    bank.lookup(2, false);
    bank.fill(2); // @1 holds 2; @2 holds 1 2
    expect(counts(bank)).toEqual(['lru@1: 0/2', 'lru@2: 0/2']);

    bank.lookup(1, true); // the live cache hits: @2 hits, @1 misses and gets 1 at once
    expect(counts(bank)).toEqual(['lru@1: 0/3', 'lru@2: 1/2']);
    bank.lookup(1, true); // @1 now holds 1
    expect(counts(bank)).toEqual(['lru@1: 1/3', 'lru@2: 2/2']);

    bank.lookup(2, false); // the live cache missed (say it dropped 2): @1 misses and waits
    bank.lookup(2, false);
    expect(counts(bank)).toEqual(['lru@1: 1/5', 'lru@2: 4/2']);
    bank.fill(2); // @1 stores 2; @2 holds it already and is left as it is
    bank.lookup(2, true);
    expect(counts(bank)).toEqual(['lru@1: 2/5', 'lru@2: 5/2']);
  });

  it('leaves a shadow without the key when the live fill is skipped, and takes writes, removals and clears', () => {
    const bank = new ShadowBank({ policies: ['fifo'], maxCapacity: 1 });
    bank.lookup(3, false); // no fill follows (a write raced it)
    bank.lookup(3, false);
    bank.write(3); // write-allocate
    bank.lookup(3, true);
    bank.remove(3);
    bank.lookup(3, false);
    bank.write(3);
    bank.clear();
    bank.lookup(3, false);
    expect(counts(bank)).toEqual(['fifo@1: 1/4']);
  });

  it('counts a lookup the live cache bypassed (a write in flight) as a miss in every shadow, changing none', () => {
    const bank = new ShadowBank({ policies: ['lru', 'lfu'], maxCapacity: 2 });
    bank.write(1);
    bank.lookupBypassed(); // a lookup of 1 while a second write of 1 is in flight
    bank.lookup(2, false);
    bank.fill(2);
    bank.lookup(1, true); // 1 is still where the write put it: no shadow lost it
    expect(counts(bank)).toEqual(['lru@1: 0/3', 'lru@2: 1/2', 'lfu@1: 0/3', 'lfu@2: 1/2']);
  });
});

/** What the bank and a standalone cache are both fed. */
interface Fed {
  lookup(key: number, liveHit: boolean): unknown;
  fill(key: number): void;
  write(key: number): void;
  remove(key: number): void;
  clear(): void;
}

/** A live workload as the proxy produces it: each miss is filled later, or its fill is skipped. */
type LiveOp =
  | { op: 'lookup' | 'write' | 'remove'; key: number }
  | { op: 'fill'; pick: number; skip: boolean }
  | { op: 'bypass' }
  | { op: 'flush' }
  | { op: 'clear' };
const key = fc.nat(11);
const liveOp: fc.Arbitrary<LiveOp> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('lookup' as const), key }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('fill' as const), pick: fc.nat(), skip: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('write' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'bypass' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
);

describe('ShadowBank, on any live workload', () => {
  it('counts for each policy and capacity what a standalone cache fed the same operations counts, and its live shadow what the live cache counts', () => {
    // Twelve keys and capacities 1..K, K up to 8: groups split, some early, some late, some never.
    fc.assert(
      fc.property(
        fc.constantFrom(...EVICTION_POLICIES),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 7 }),
        fc.array(liveOp, { maxLength: 250, size: 'max' }),
        (livePolicy, liveCapacity, beyond, ops) => {
          const live = new KeyCache(livePolicy, liveCapacity);
          const maxCapacity = Math.min(8, liveCapacity + beyond);
          const bank = new ShadowBank({ maxCapacity });
          const standalone = EVICTION_POLICIES.flatMap((policy) =>
            Array.from({ length: maxCapacity }, (_, i) => new KeyCache(policy, i + 1)),
          );
          const fed: Fed[] = [bank, ...standalone];
          const feed = (apply: (cache: Fed) => void) => fed.forEach(apply);
          const fetching: number[] = [];
          for (const op of ops) {
            if (op.op === 'lookup') {
              const hit = live.lookup(op.key);
              if (!hit) fetching.push(op.key);
              feed((cache) => cache.lookup(op.key, hit));
            } else if (op.op === 'fill') {
              if (fetching.length === 0) continue;
              const [fetched] = fetching.splice(op.pick % fetching.length, 1);
              if (op.skip) continue;
              live.fill(fetched);
              feed((cache) => cache.fill(fetched));
            } else if (op.op === 'clear') {
              live.clear();
              feed((cache) => cache.clear());
            } else if (op.op === 'flush') {
              bank.flush(); // batches of any length, groups split in any of them
            } else if (op.op === 'bypass') {
              // A lookup with a write in flight: a miss that consults no cache.
              live.misses++;
              bank.lookupBypassed();
              standalone.forEach((cache) => cache.misses++);
            } else {
              live[op.op](op.key);
              feed((cache) => cache[op.op as 'write' | 'remove'](op.key));
            }
          }
          const results = bank.results();
          expect(results).toEqual(standalone.map((cache) => cache.result()));
          const liveShadow = results.find(
            (r) => r.policy === livePolicy && r.capacity === liveCapacity,
          );
          expect(liveShadow).toEqual(live.result());
        },
      ),
      { numRuns: 100 },
    );
  });
});
