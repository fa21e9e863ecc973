/**
 * The assignment's behaviour, step by step, through the real server and proxy: a cache of 5
 * (half the server's 10 entries); a miss fetches from the server and stores the entry,
 * overwriting the OLDEST one (FIFO, the default). Then the same traffic with `--eviction lru`
 * to show where the two differ.
 */
import type { ProtocolConnection } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll } from '../../../test/support/processes';
import { type Stack, cacheView, seedServer, startStack, stats } from './support/stack';

jest.setTimeout(60_000);

/** What the server holds before the proxy sees any traffic: distinct, some negative. */
const SEEDED = new Map<number, bigint>([
  [0, 100n],
  [1, -101n],
  [2, 102n],
  [3, 103n],
  [4, -104n],
  [5, 105n],
  [6, 106n],
]);

interface Step {
  /** The single index read by `OP=GET;IND=<index>;`. */
  readonly index: number;
  readonly fifo: Expectation;
  readonly lru: Expectation;
}

interface Expectation {
  readonly hit: boolean;
  /** Evictions since the proxy started. */
  readonly evictions: number;
  /** GET /cache's indices, next victim first. */
  readonly cache: readonly number[];
}

const hit = (cache: number[], evictions = 0): Expectation => ({ hit: true, evictions, cache });
const miss = (cache: number[], evictions = 0): Expectation => ({ hit: false, evictions, cache });

const STEPS: readonly Step[] = [
  { index: 0, fifo: miss([0]), lru: miss([0]) },
  { index: 1, fifo: miss([0, 1]), lru: miss([0, 1]) },
  { index: 0, fifo: hit([0, 1]), lru: hit([1, 0]) },
  { index: 2, fifo: miss([0, 1, 2]), lru: miss([1, 0, 2]) },
  { index: 3, fifo: miss([0, 1, 2, 3]), lru: miss([1, 0, 2, 3]) },
  { index: 4, fifo: miss([0, 1, 2, 3, 4]), lru: miss([1, 0, 2, 3, 4]) },
  // Full. Reading 0 again: FIFO does not care, LRU makes 0 the most recent.
  { index: 0, fifo: hit([0, 1, 2, 3, 4]), lru: hit([1, 2, 3, 4, 0]) },
  // The 6th distinct index: FIFO overwrites the oldest stored (0), LRU the least recently used (1).
  { index: 5, fifo: miss([1, 2, 3, 4, 5], 1), lru: miss([2, 3, 4, 0, 5], 1) },
  // So 0, read a moment ago, is gone under FIFO (a miss, evicting 1) but survived under LRU.
  { index: 0, fifo: miss([2, 3, 4, 5, 0], 2), lru: hit([2, 3, 4, 5, 0], 1) },
  { index: 1, fifo: miss([3, 4, 5, 0, 1], 3), lru: miss([3, 4, 5, 0, 1], 2) },
  { index: 6, fifo: miss([4, 5, 0, 1, 6], 4), lru: miss([4, 5, 0, 1, 6], 3) },
  { index: 4, fifo: hit([4, 5, 0, 1, 6], 4), lru: hit([5, 0, 1, 6, 4], 3) },
];

describe.each(['fifo', 'lru'] as const)(
  'the assignment, step by step, capacity 5, %s',
  (policy) => {
    let stack: Stack;
    let client: ProtocolConnection;

    beforeAll(async () => {
      // FIFO is the default: no flag at all for it, so the default is what is tested.
      stack = await startStack({ proxyArgs: policy === 'fifo' ? [] : ['--eviction', 'lru'] });
      await seedServer(stack.server, SEEDED);
      client = await connectTo(stack.proxy.protocol);
    });

    afterAll(async () => {
      closeAllConnections();
      await stopAll();
    });

    it('starts empty with the configured policy and capacity', async () => {
      expect(await stats(stack.proxy)).toEqual({
        hits: 0,
        misses: 0,
        hitRatio: null,
        evictions: 0,
        size: 0,
        capacity: 5,
        policy,
      });
      expect(await cacheView(stack.proxy)).toEqual({
        policy,
        reason: policy === 'fifo' ? 'oldest' : 'least-recent',
        capacity: 5,
        size: 0,
        nextVictim: null,
        entries: [],
      });
    });

    it('serves each GET with the server value and hits, misses and evicts as the policy says', async () => {
      let before = await stats(stack.proxy);
      for (const [number, step] of STEPS.entries()) {
        const expected = step[policy];
        const where = `step ${number + 1} (GET ${step.index})`;

        const reply = await client.send(`OP=GET;IND=${step.index};`);
        expect({ where, reply }).toEqual({
          where,
          reply: `OP=GET;IND=${step.index};DATA=${SEEDED.get(step.index)};`,
        });

        const after = await stats(stack.proxy);
        expect({
          where,
          hits: after.hits - before.hits,
          misses: after.misses - before.misses,
        }).toEqual({
          where,
          hits: expected.hit ? 1 : 0,
          misses: expected.hit ? 0 : 1,
        });
        expect({ where, evictions: after.evictions, size: after.size }).toEqual({
          where,
          evictions: expected.evictions,
          size: expected.cache.length,
        });

        const view = await cacheView(stack.proxy);
        expect({
          where,
          entries: view.entries.map(({ index, value }) => ({ index, value })),
          nextVictim: view.nextVictim,
        }).toEqual({
          where,
          entries: expected.cache.map((index) => ({ index, value: String(SEEDED.get(index)) })),
          // Only a full cache evicts: its first entry then goes next.
          nextVictim: expected.cache.length === 5 ? expected.cache[0] : null,
        });
        if (policy === 'fifo') {
          // Oldest first: under FIFO the listing is by storage time, so ages never increase.
          const ages = view.entries.map((entry) => entry.ageMs);
          expect(ages).toEqual([...ages].sort((a, b) => b - a));
        }
        before = after;
      }
    });

    it('ends with the totals the steps add up to', async () => {
      const hits = STEPS.filter((step) => step[policy].hit).length;
      const last = STEPS[STEPS.length - 1][policy];
      expect(await stats(stack.proxy)).toEqual({
        hits,
        misses: STEPS.length - hits,
        hitRatio: hits / STEPS.length,
        evictions: last.evictions,
        size: 5,
        capacity: 5,
        policy,
      });
    });
  },
);

describe('the 6th distinct index with FIFO', () => {
  afterEach(async () => {
    closeAllConnections();
    await stopAll();
  });

  it('overwrites the oldest entry even when the cache was filled by one multi-index GET', async () => {
    const stack = await startStack();
    await seedServer(stack.server, SEEDED);
    const client = await connectTo(stack.proxy.protocol);
    expect(await client.send('OP=GET;IND=4,3,2,1,0;')).toBe(
      'OP=GET;IND=4,3,2,1,0;DATA=-104,103,102,-101,100;',
    );
    // One upstream GET for the five misses; stored in the order the server answered.
    expect((await cacheView(stack.proxy)).entries.map((entry) => entry.index)).toEqual([
      4, 3, 2, 1, 0,
    ]);
    expect(await client.send('OP=GET;IND=5;')).toBe('OP=GET;IND=5;DATA=105;');
    const view = await cacheView(stack.proxy);
    expect(view.entries.map((entry) => entry.index)).toEqual([3, 2, 1, 0, 5]);
    expect((await stats(stack.proxy)).evictions).toBe(1);
  });
});
