/**
 * A history-based consistency checker for the proxy (once a PUT is acknowledged, no later
 * request sees an older value), shared by the proxy's concurrency test and the reliability
 * suite's fault tests.
 *
 * Clients run random GET / PUT / ADD operations on a few indices; every operation's real-time
 * interval and reply are recorded, then every value read is checked against the writes:
 *
 *  - a value read from index i must come from a PUT on i that was invoked before the read
 *    completed (never from the future), or be the initial 0;
 *  - it must not be stale: no PUT on i that was acknowledged before the read was invoked may
 *    have been invoked after the PUT whose value was read completed (that is, the value read is
 *    the latest acknowledged write, or one of several that overlapped each other, or a write in
 *    flight during the read). The initial 0 is stale once any PUT on i was acknowledged.
 *
 * PUT values are unique, so each value read names exactly one write. Intervals are measured in
 * the test process around each request, so they contain the real ones: the checks can only be
 * looser than the truth, never stricter.
 *
 * With faults injected, an operation may fail with an outcome the client cannot know (the
 * caller's `indeterminate` predicate says which replies mean that, e.g. UPSTREAM_TIMEOUT or a
 * connection closed before the reply). Such a PUT may or may not have been applied, at any time
 * after it was invoked: it is kept as a write that never completes, so its value is legal in any
 * later read and it never supersedes anything. Such a GET or ADD is not checked. Any other reply
 * that is not a success of the right shape is an anomaly.
 *
 * With several proxies kept coherent by invalidations (`invalidationLagNs`), a read through one
 * proxy may return a value that a write through another had overwritten before the read began:
 * until the proxy applies that write's invalidation, it still has the old value. Such a stale
 * read is legal only while the invalidation can still be in flight: a proxy applies the
 * invalidation of a write at most the lag after the write was acknowledged at the server, which
 * is before its client saw the acknowledgement. So a stale read must have begun less than
 * `invalidationLagNs` after the acknowledgement (as its client saw it) of the earliest write that
 * overwrote the value; one that began later was served after that invalidation was applied, and
 * is an anomaly. Stale reads within the window are counted (`staleReads`), with how far into it.
 */
import type { ProtocolConnection } from '@semicache/client';
import { connectTo } from './line-client';
import type { Endpoint } from './processes';

export type HistoryOp = 'GET' | 'PUT' | 'ADD';

export interface Operation {
  readonly client: number;
  readonly seq: number;
  readonly op: HistoryOp;
  readonly indices: readonly number[];
  /** PUT only: the values written, by position. */
  readonly values: readonly bigint[];
  readonly message: string;
  invokedAt: bigint;
  completedAt: bigint;
  /** The reply line, or what the runner recorded instead (e.g. `CLOSED: ...`). */
  reply: string;
}

interface Write {
  readonly index: number;
  readonly value: bigint;
  readonly invokedAt: bigint;
  /** NEVER for a write whose outcome is unknown. */
  readonly completedAt: bigint;
  readonly operation: Operation;
}

/** Later than any real time: the completion of a write that may or may not have happened. */
const NEVER = 2n ** 127n;

export interface PlanOptions {
  /** Operations per client. */
  readonly count: number;
  /** Indices used: 0..indices-1. */
  readonly indices: number;
}

/**
 * `count` random operations for one client: 40% GET, 35% PUT, 25% ADD, on one or two indices.
 * PUT values are unique across clients and runs of one plan: (client+1)*1e6 + seq*10 + position+1.
 */
export function planOperations(
  client: number,
  random: () => number,
  options: PlanOptions,
): Operation[] {
  const operations: Operation[] = [];
  const pickIndex = () => Math.floor(random() * options.indices);
  for (let seq = 0; seq < options.count; seq++) {
    const roll = random();
    const op: HistoryOp = roll < 0.4 ? 'GET' : roll < 0.75 ? 'PUT' : 'ADD';
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

/**
 * An operation as if recorded: `message` sent by `client` over `interval` (invoked, completed,
 * in any unit), answered `reply`. For tests of the checker itself.
 */
export function recordedOperation(
  client: number,
  message: string,
  interval: readonly [number, number],
  reply: string,
): Operation {
  const [, kind, ind, data] = /^OP=(\w+);IND=([\d,]+);(?:DATA=([-\d,]+);)?$/.exec(message)!;
  return {
    client,
    seq: interval[0],
    op: kind as HistoryOp,
    indices: ind.split(',').map(Number),
    values: data === undefined ? [] : data.split(',').map(BigInt),
    message,
    invokedAt: BigInt(interval[0]),
    completedAt: BigInt(interval[1]),
    reply,
  };
}

/** Runs one operation on `connection`, recording its interval and reply. */
export async function runOperation(
  connection: ProtocolConnection,
  operation: Operation,
): Promise<void> {
  operation.invokedAt = process.hrtime.bigint();
  operation.reply = await connection.send(operation.message);
  operation.completedAt = process.hrtime.bigint();
}

/** Runs a client's operations one after the other on one connection (no faults expected). */
export async function runOperations(
  connection: ProtocolConnection,
  operations: readonly Operation[],
): Promise<void> {
  for (const operation of operations) await runOperation(connection, operation);
}

/** The table once everything is quiet: read straight from the server, and through the proxy. */
export interface FinalState {
  /** The server's read, as one more operation for `verifyHistory` to check. */
  readonly finalRead: Operation;
  readonly serverReply: string;
  readonly viaProxy: string;
}

/** Reads indices `0..size-1` from the server directly, then through the proxy. */
export async function readFinalState(
  server: Endpoint,
  proxy: Endpoint,
  size: number,
): Promise<FinalState> {
  const indices = Array.from({ length: size }, (_, index) => index);
  const message = `OP=GET;IND=${indices.join(',')};`;
  const direct = await connectTo(server);
  const invokedAt = process.hrtime.bigint();
  const serverReply = await direct.send(message);
  const finalRead: Operation = {
    client: -1,
    seq: 0,
    op: 'GET',
    indices,
    values: [],
    message,
    invokedAt,
    completedAt: process.hrtime.bigint(),
    reply: serverReply,
  };
  const viaProxy = await (await connectTo(proxy)).send(message);
  return { finalRead, serverReply, viaProxy };
}

const DATA = /^OP=(GET|PUT|ADD);IND=([0-9,]+);DATA=(-?[0-9]+(?:,-?[0-9]+)*);$/;

export interface VerifyOptions {
  /** Indices used: 0..indices-1. */
  readonly indices: number;
  /** True for a reply that leaves the outcome unknown; by default no reply does. */
  readonly indeterminate?: (operation: Operation) => boolean;
  /** Several proxies: how late an invalidation may be applied (see the top of this file). */
  readonly invalidationLagNs?: bigint;
}

/** A read that returned a value overwritten before it began, within the invalidation lag. */
export interface StaleRead {
  readonly index: number;
  readonly read: Operation;
  /** From the acknowledgement of the earliest write that overwrote the value to the read's start. */
  readonly sinceOverwrittenNs: bigint;
}

export interface Verdict {
  readonly readsChecked: number;
  readonly sumsChecked: number;
  /** Operations whose outcome was unknown (failed with an `indeterminate` reply). */
  readonly indeterminate: number;
  /** PUTs among them: writes that may or may not have been applied. */
  readonly indeterminateWrites: number;
  readonly anomalies: string[];
  /** Informational: a read returning a value older than one an earlier, finished read returned. */
  readonly readOrderInversions: number;
  /** With `invalidationLagNs`: the stale reads found within the window (never outside it). */
  readonly staleReads: StaleRead[];
}

/** Checks a whole history; see the top of this file for the rules. */
export function verifyHistory(operations: readonly Operation[], options: VerifyOptions): Verdict {
  const anomalies: string[] = [];
  const isIndeterminate = options.indeterminate ?? (() => false);
  const describe = (operation: Operation) =>
    `client ${operation.client} #${operation.seq} ${operation.message} -> ${operation.reply}`;

  // Replies first: all must be successes of the right shape, or indeterminate failures.
  const writesByIndex = new Map<number, Write[]>();
  const writeByValue = new Map<bigint, Write>();
  for (let index = 0; index < options.indices; index++) writesByIndex.set(index, []);
  const unknown = new Set<Operation>();
  let indeterminateWrites = 0;
  const addWrites = (operation: Operation, completedAt: bigint) => {
    operation.indices.forEach((index, position) => {
      const write: Write = {
        index,
        value: operation.values[position],
        invokedAt: operation.invokedAt,
        completedAt,
        operation,
      };
      writesByIndex.get(index)!.push(write);
      writeByValue.set(write.value, write);
    });
  };
  for (const operation of operations) {
    if (isIndeterminate(operation)) {
      unknown.add(operation);
      if (operation.op === 'PUT') {
        indeterminateWrites++;
        addWrites(operation, NEVER);
      }
      continue;
    }
    const match = DATA.exec(operation.reply);
    if (match === null || match[1] !== operation.op || match[2] !== operation.indices.join(',')) {
      anomalies.push(`bad reply: ${describe(operation)}`);
      continue;
    }
    if (operation.op === 'PUT') {
      if (operation.reply !== operation.message)
        anomalies.push(`PUT not echoed: ${describe(operation)}`);
      addWrites(operation, operation.completedAt);
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

  /**
   * If `value` was written to `index` (or is the initial 0) and overwritten before `read` began:
   * how long before, counted from the acknowledgement of the earliest write that overwrote it.
   */
  const overwrittenFor = (index: number, value: bigint, read: Operation): bigint | undefined => {
    const written = value === 0n ? undefined : writeByValue.get(value);
    if (value !== 0n && (written === undefined || written.index !== index)) return undefined;
    if (written !== undefined && written.invokedAt >= read.completedAt) return undefined;
    let earliest: bigint | undefined;
    for (const write of writesByIndex.get(index)!) {
      const overwrites = written === undefined || write.invokedAt > written.completedAt;
      if (overwrites && write.completedAt < read.invokedAt) {
        if (earliest === undefined || write.completedAt < earliest) earliest = write.completedAt;
      }
    }
    return earliest === undefined ? undefined : read.invokedAt - earliest;
  };
  const lag = options.invalidationLagNs;
  const staleReads: StaleRead[] = [];
  /** A stale value a read may still return: overwritten less than the lag before it began. */
  const staleWithinLag = (index: number, value: bigint, read: Operation): bigint | undefined => {
    if (lag === undefined) return undefined;
    const since = overwrittenFor(index, value, read);
    return since !== undefined && since < lag ? since : undefined;
  };
  /** Checks one value read; records it as a stale read if it is one within the lag. */
  const legal = (index: number, value: bigint, read: Operation): boolean => {
    if (candidates(index, read).has(value)) return true;
    const since = staleWithinLag(index, value, read);
    if (since === undefined) return false;
    staleReads.push({ index, read, sinceOverwrittenNs: since });
    return true;
  };
  /** The values a read of `index` may return: the legal ones, and stale ones within the lag. */
  const possible = (index: number, read: Operation): bigint[] => {
    const values = [...candidates(index, read)];
    if (lag === undefined) return values;
    const stale = new Set<bigint>([0n]);
    for (const write of writesByIndex.get(index)!) stale.add(write.value);
    for (const value of stale) {
      if (!values.includes(value) && staleWithinLag(index, value, read) !== undefined)
        values.push(value);
    }
    return values;
  };

  const explain = (index: number, value: bigint, read: Operation): string => {
    if (value === 0n) return `initial 0 after a PUT on ${index} was acknowledged`;
    const write = writeByValue.get(value);
    if (write === undefined || write.index !== index)
      return `value ${value} was never written to ${index}`;
    if (write.invokedAt >= read.completedAt)
      return `value ${value} was written after the read completed`;
    const since = overwrittenFor(index, value, read);
    const beyond =
      lag !== undefined && since !== undefined
        ? ` (${Number(since) / 1e6} ms before, more than the invalidation lag of ${Number(lag) / 1e6} ms)`
        : '';
    return `stale: value ${value} (from ${describe(write.operation)}) was overwritten by an acknowledged PUT before the read began${beyond}`;
  };

  let readsChecked = 0;
  let sumsChecked = 0;
  /** Every single-index observation, for the informational read-order check. */
  const observations: Array<{ index: number; value: bigint; read: Operation }> = [];
  for (const read of operations) {
    if (read.op === 'PUT' || unknown.has(read)) continue;
    const match = DATA.exec(read.reply);
    if (match === null || match[1] !== read.op) continue; // already reported
    const data = match[3].split(',').map(BigInt);
    if (read.op === 'GET') {
      read.indices.forEach((index, position) => {
        readsChecked++;
        const value = data[position];
        observations.push({ index, value, read });
        if (!legal(index, value, read)) {
          anomalies.push(`${explain(index, value, read)}: ${describe(read)}`);
        }
      });
    } else if (read.indices.length === 1) {
      readsChecked++;
      const [index] = read.indices;
      observations.push({ index, value: data[0], read });
      if (!legal(index, data[0], read)) {
        anomalies.push(`ADD: ${explain(index, data[0], read)}: ${describe(read)}`);
      }
    } else {
      // ADD of two positions: the sum must be made of one legal value for each.
      sumsChecked++;
      const [first, second] = read.indices.map((index) => possible(index, read));
      const sum = data[0];
      if (!first.some((a) => second.some((b) => a + b === sum))) {
        anomalies.push(`ADD sum ${sum} is not made of legal values: ${describe(read)}`);
      }
    }
  }

  // Informational (not a requirement): real-time order between reads. A read that began after
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

  return {
    readsChecked,
    sumsChecked,
    indeterminate: unknown.size,
    indeterminateWrites,
    anomalies,
    readOrderInversions,
    staleReads,
  };
}

/** Counts operations by OP. */
export function countByOp(operations: readonly Operation[]): Record<HistoryOp, number> {
  const counts = { GET: 0, PUT: 0, ADD: 0 };
  for (const operation of operations) counts[operation.op]++;
  return counts;
}
