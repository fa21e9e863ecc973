/**
 * Consistency with concurrent clients (SPEC §4): many connections doing random GET / PUT / ADD
 * on a few indices through a small cache (so misses, evictions and races between slow misses and
 * PUTs all happen). Every operation's real-time interval and result are recorded, then every
 * value read is checked against the writes:
 *
 *  - a value read from index i must come from a PUT on i that was invoked before the read
 *    completed (never from the future), or be the initial 0;
 *  - it must not be stale: no PUT on i that was acknowledged before the read was invoked may
 *    have been invoked after the PUT whose value was read completed (that is, the value read is
 *    the latest acknowledged write, or one of several that overlapped each other, or a write in
 *    flight during the read). The initial 0 is stale once any PUT on i was acknowledged.
 *
 * PUT values are unique, so each value read names exactly one write. Intervals are measured in
 * this process around each request, so they contain the real ones: the checks can only be looser
 * than the truth, never stricter.
 */
import type { ProtocolConnection } from '@semicache/transport';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll } from '../../../test/support/processes';
import { type Stack, startStack, stats, tableValues } from './support/stack';

jest.setTimeout(120_000);

const CLIENTS = 16;
const OPS_PER_CLIENT = 250;
const INDICES = 4;
const CAPACITY = 2;
const SEED = 0x5eed;

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Op = 'GET' | 'PUT' | 'ADD';

interface Operation {
  readonly client: number;
  readonly seq: number;
  readonly op: Op;
  readonly indices: readonly number[];
  /** PUT only: the values written, by position. */
  readonly values: readonly bigint[];
  readonly message: string;
  invokedAt: bigint;
  completedAt: bigint;
  reply: string;
}

interface Write {
  readonly index: number;
  readonly value: bigint;
  readonly invokedAt: bigint;
  readonly completedAt: bigint;
  readonly operation: Operation;
}

function plan(client: number, random: () => number): Operation[] {
  const operations: Operation[] = [];
  const pickIndex = () => Math.floor(random() * INDICES);
  for (let seq = 0; seq < OPS_PER_CLIENT; seq++) {
    const roll = random();
    const op: Op = roll < 0.4 ? 'GET' : roll < 0.75 ? 'PUT' : 'ADD';
    const count = random() < 0.5 ? 1 : 2;
    let indices = Array.from({ length: count }, pickIndex);
    let values: bigint[] = [];
    let message: string;
    if (op === 'PUT') {
      // Distinct indices in one PUT, so every value written is visible once applied.
      indices = [...new Set(indices)];
      values = indices.map((_, position) =>
        BigInt((client + 1) * 1_000_000 + seq * 10 + position + 1),
      );
      message = `OP=PUT;IND=${indices.join(',')};DATA=${values.join(',')};`;
    } else {
      message = `OP=${op};IND=${indices.join(',')};`;
    }
    operations.push({
      client,
      seq,
      op,
      indices,
      values,
      message,
      invokedAt: 0n,
      completedAt: 0n,
      reply: '',
    });
  }
  return operations;
}

async function runClient(connection: ProtocolConnection, operations: Operation[]): Promise<void> {
  for (const operation of operations) {
    operation.invokedAt = process.hrtime.bigint();
    operation.reply = await connection.send(operation.message);
    operation.completedAt = process.hrtime.bigint();
  }
}

const DATA = /^OP=(GET|PUT|ADD);IND=([0-9,]+);DATA=(-?[0-9]+(?:,-?[0-9]+)*);$/;

interface Verdict {
  readsChecked: number;
  sumsChecked: number;
  anomalies: string[];
  /** Informational: a read returning a value older than one an earlier, finished read returned. */
  readOrderInversions: number;
}

function verify(operations: readonly Operation[]): Verdict {
  const anomalies: string[] = [];
  const describe = (operation: Operation) =>
    `client ${operation.client} #${operation.seq} ${operation.message} -> ${operation.reply}`;

  // Replies first: all must be successes of the right shape.
  const writesByIndex = new Map<number, Write[]>();
  const writeByValue = new Map<bigint, Write>();
  for (let index = 0; index < INDICES; index++) writesByIndex.set(index, []);
  for (const operation of operations) {
    const match = DATA.exec(operation.reply);
    if (match === null || match[1] !== operation.op || match[2] !== operation.indices.join(',')) {
      anomalies.push(`bad reply: ${describe(operation)}`);
      continue;
    }
    if (operation.op === 'PUT') {
      if (operation.reply !== operation.message)
        anomalies.push(`PUT not echoed: ${describe(operation)}`);
      operation.indices.forEach((index, position) => {
        const write: Write = {
          index,
          value: operation.values[position],
          invokedAt: operation.invokedAt,
          completedAt: operation.completedAt,
          operation,
        };
        writesByIndex.get(index)!.push(write);
        writeByValue.set(write.value, write);
      });
    }
  }

  /** The values a read of `index` over [invokedAt, completedAt] may legally return. */
  const candidates = (index: number, read: Operation): Set<bigint> => {
    const writes = writesByIndex.get(index)!;
    // Latest invocation among the writes acknowledged before the read began: anything that
    // completed before it was overwritten before the read began.
    let supersededBefore = -1n;
    let anyAcknowledged = false;
    for (const write of writes) {
      if (write.completedAt < read.invokedAt) {
        anyAcknowledged = true;
        if (write.invokedAt > supersededBefore) supersededBefore = write.invokedAt;
      }
    }
    const allowed = new Set<bigint>();
    if (!anyAcknowledged) allowed.add(0n);
    for (const write of writes) {
      if (write.invokedAt < read.completedAt && !(write.completedAt < supersededBefore))
        allowed.add(write.value);
    }
    return allowed;
  };

  const explain = (index: number, value: bigint, read: Operation): string => {
    if (value === 0n) return `initial 0 after a PUT on ${index} was acknowledged`;
    const write = writeByValue.get(value);
    if (write === undefined || write.index !== index)
      return `value ${value} was never written to ${index}`;
    if (write.invokedAt >= read.completedAt)
      return `value ${value} was written after the read completed`;
    return `stale: value ${value} (from ${describe(write.operation)}) was overwritten by an acknowledged PUT before the read began`;
  };

  let readsChecked = 0;
  let sumsChecked = 0;
  /** Every single-index observation, for the informational read-order check. */
  const observations: Array<{ index: number; value: bigint; read: Operation }> = [];
  for (const read of operations) {
    if (read.op === 'PUT') continue;
    const match = DATA.exec(read.reply);
    if (match === null || match[1] !== read.op) continue; // already reported
    const data = match[3].split(',').map(BigInt);
    if (read.op === 'GET') {
      read.indices.forEach((index, position) => {
        readsChecked++;
        const value = data[position];
        observations.push({ index, value, read });
        if (!candidates(index, read).has(value)) {
          anomalies.push(`${explain(index, value, read)}: ${describe(read)}`);
        }
      });
    } else if (read.indices.length === 1) {
      readsChecked++;
      const [index] = read.indices;
      observations.push({ index, value: data[0], read });
      if (!candidates(index, read).has(data[0])) {
        anomalies.push(`ADD: ${explain(index, data[0], read)}: ${describe(read)}`);
      }
    } else {
      // ADD of two positions: the sum must be made of one legal value for each.
      sumsChecked++;
      const [first, second] = read.indices.map((index) => [...candidates(index, read)]);
      const sum = data[0];
      if (!first.some((a) => second.some((b) => a + b === sum))) {
        anomalies.push(`ADD sum ${sum} is not made of legal values: ${describe(read)}`);
      }
    }
  }

  // Informational (not part of the SPEC): real-time order between reads. A read that began after
  // another finished should not return a value whose write strictly preceded the one the earlier
  // read returned.
  let readOrderInversions = 0;
  const writeOf = (value: bigint) => writeByValue.get(value);
  const byIndex = new Map<number, typeof observations>();
  for (const observation of observations) {
    const list = byIndex.get(observation.index) ?? [];
    list.push(observation);
    byIndex.set(observation.index, list);
  }
  for (const list of byIndex.values()) {
    for (const earlier of list) {
      const earlierWrite = writeOf(earlier.value);
      if (earlierWrite === undefined) continue; // read 0: nothing is older
      for (const later of list) {
        if (!(earlier.read.completedAt < later.read.invokedAt)) continue;
        const laterWrite = writeOf(later.value);
        const older = laterWrite === undefined || laterWrite.completedAt < earlierWrite.invokedAt;
        if (older) readOrderInversions++;
      }
    }
  }

  return { readsChecked, sumsChecked, anomalies, readOrderInversions };
}

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
      const random = prng(SEED);
      const plans = Array.from({ length: CLIENTS }, (_, client) => plan(client, random));
      const connections = await Promise.all(plans.map(() => connectTo(stack.proxy.protocol)));

      const started = process.hrtime.bigint();
      await Promise.all(
        plans.map((operations, client) => runClient(connections[client], operations)),
      );
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

      const operations = plans.flat();
      const verdict = verify(operations);
      const counts = { GET: 0, PUT: 0, ADD: 0 };
      for (const operation of operations) counts[operation.op]++;
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
