/**
 * Consistency with concurrent clients: many connections doing random GET / PUT / ADD
 * on a few indices through a small cache (so misses, evictions and races between slow misses and
 * PUTs all happen). Every operation's real-time interval and result are recorded, then every
 * value read is checked against the writes by the history checker in test/support/history.ts
 * (which states the rules). The reliability suite runs the same check with faults injected.
 */
import { seededRandom } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll } from '../../../test/support/processes';
import {
  countByOp,
  planOperations,
  runOperations,
  verifyHistory,
} from '../../../test/support/history';
import { type Stack, startStack, stats, tableValues } from './support/stack';

jest.setTimeout(120_000);

const CLIENTS = 16;
const OPS_PER_CLIENT = 250;
const INDICES = 4;
const CAPACITY = 2;
const SEED = 0x5eed;

describe.each(['fifo', 'lru'])(
  `consistency under ${CLIENTS} concurrent clients (capacity ${CAPACITY}, ${INDICES} indices, %s)`,
  (policy) => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({
        proxyArgs: ['--capacity', String(CAPACITY), '--eviction', policy],
      });
    });

    afterAll(async () => {
      closeAllConnections();
      await stopAll();
    });

    it('every value read is legal given the writes around it', async () => {
      const random = seededRandom(SEED);
      const plans = Array.from({ length: CLIENTS }, (_, client) =>
        planOperations(client, random, { count: OPS_PER_CLIENT, indices: INDICES }),
      );
      const connections = await Promise.all(plans.map(() => connectTo(stack.proxy.protocol)));

      const started = process.hrtime.bigint();
      await Promise.all(
        plans.map((operations, client) => runOperations(connections[client], operations)),
      );
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

      const operations = plans.flat();
      const verdict = verifyHistory(operations, { indices: INDICES });
      const counts = countByOp(operations);
      const cache = await stats(stack.proxy);
      console.log(
        [
          `consistency: ${operations.length} operations (${counts.GET} GET, ${counts.PUT} PUT, ${counts.ADD} ADD) ` +
            `by ${CLIENTS} clients in ${elapsedMs.toFixed(0)} ms, seed ${SEED}, ${policy}`,
          `  checked ${verdict.readsChecked} single-index reads and ${verdict.sumsChecked} two-index sums`,
          `  anomalies: ${verdict.anomalies.length}; read-order inversions (informational): ${verdict.readOrderInversions}`,
          `  proxy: ${cache.hits} hits, ${cache.misses} misses, ${cache.evictions} evictions`,
          ...verdict.anomalies.slice(0, 20).map((anomaly) => `  ! ${anomaly}`),
        ].join('\n'),
      );

      expect(operations).toHaveLength(CLIENTS * OPS_PER_CLIENT);
      // The run must actually have exercised the interesting paths.
      expect(counts.PUT).toBeGreaterThan(500);
      expect(verdict.readsChecked).toBeGreaterThan(1000);
      expect(cache.misses).toBeGreaterThan(100);
      expect(cache.evictions).toBeGreaterThan(100);
      expect(verdict.anomalies).toEqual([]);

      // Once quiet, the proxy and the server agree on every index.
      const table = await tableValues(stack.server);
      const reader = connections[0];
      const all = Array.from({ length: INDICES }, (_, index) => index);
      const twice = [...all, ...all];
      expect(await reader.send(`OP=GET;IND=${twice.join(',')};`)).toBe(
        `OP=GET;IND=${twice.join(',')};DATA=${twice.map((index) => table[index]).join(',')};`,
      );
    });
  },
);
