/**
 * The server killed with SIGKILL in the middle of PUT load through the proxy, and restarted on
 * the same port and data directory (issue 7): after a crash and a restart every acknowledged
 * write is there, and the proxy reconnects by itself, with no restart of its own.
 *
 * Several writers, each the single writer of its own indices, keep one PUT in flight per index
 * (so many are in flight at every moment), with a new value each time. For each index, the
 * writer knows the last PUT acknowledged to it and the PUTs that failed with UPSTREAM_* (which
 * may or may not have been applied). After the run the server's value of each index must be the
 * last acknowledged write, or a failed write issued after it; anything older is an acknowledged
 * write lost. The proxy is the same process throughout and serves again after each restart.
 */
import type { ProtocolConnection } from '@semicache/client';
import { tableValues } from '../support/admin';
import { closeAllConnections, connectTo } from '../support/line-client';
import { type RunningApp, startApp, stopAll } from '../support/processes';
import { makeTempDir, removeTempDirs } from '../support/temp-dirs';
import { recordFigures } from './support/figures';
import { Progress, UPSTREAM_FAILURE, UpstreamWatch, killAndRestartServer } from './support/faults';
import { isUp } from './support/live';

jest.setTimeout(120_000);

const WRITERS = 6;
const INDICES_PER_WRITER = 8;
const SIZE = WRITERS * INDICES_PER_WRITER;
const KILLS = 3;
/** Acknowledged writes before the first kill, between kills, and after the last restart. */
const ACKS_PER_PHASE = 2000;
const MAX_PUTS_PER_INDEX = 20_000;

/** A value unique to (index, seq): the index's writer is the only one writing it. */
const valueOf = (index: number, seq: number) => BigInt(index + 1) * 1_000_000n + BigInt(seq);
const decode = (value: bigint) => ({
  index: Number(value / 1_000_000n) - 1,
  seq: Number(value % 1_000_000n),
});

interface Lane {
  readonly index: number;
  /** Sequence number of the last PUT acknowledged (0: none). */
  lastAcked: number;
  /** Sequence numbers of PUTs that failed with UPSTREAM_* (outcome unknown). */
  readonly failed: number[];
  sent: number;
  inFlight: boolean;
}

describe('SIGKILL of the server in the middle of PUT load through the proxy', () => {
  let dataDir: string;
  let server: RunningApp;
  let proxy: RunningApp;

  beforeAll(async () => {
    dataDir = makeTempDir('semicache-reliability-');
    server = await startApp('server', ['--data-dir', dataDir, '--size', String(SIZE)]);
    proxy = await startApp('proxy', [
      '--upstream',
      `${server.protocol.host}:${server.protocol.port}`,
      '--capacity',
      String(SIZE / 2),
    ]);
  });

  afterAll(async () => {
    closeAllConnections();
    await stopAll();
    removeTempDirs();
  });

  it(`loses no acknowledged write across ${KILLS} kills, and the proxy serves again without a restart`, async () => {
    const proxyPid = proxy.child.pid;
    const progress = new Progress();
    const watch = new UpstreamWatch(() => proxy);
    const lanes: Lane[] = Array.from({ length: SIZE }, (_, index) => ({
      index,
      lastAcked: 0,
      failed: [],
      sent: 0,
      inFlight: false,
    }));
    const unexpected: string[] = [];
    let stop = false;

    const runLane = async (connection: ProtocolConnection, lane: Lane) => {
      while (!stop && lane.sent < MAX_PUTS_PER_INDEX) {
        const seq = ++lane.sent;
        const message = `OP=PUT;IND=${lane.index};DATA=${valueOf(lane.index, seq)};`;
        lane.inFlight = true;
        const reply = await connection.send(message);
        lane.inFlight = false;
        if (reply === message) {
          lane.lastAcked = seq;
          progress.tick();
        } else if (UPSTREAM_FAILURE.test(reply)) {
          lane.failed.push(seq);
          await watch.whenUp();
        } else {
          unexpected.push(`${message} -> ${reply}`);
          return;
        }
      }
    };

    const writers = await Promise.all(
      Array.from({ length: WRITERS }, () => connectTo(proxy.protocol)),
    );
    const running = Promise.all(
      lanes.map((lane) => runLane(writers[Math.floor(lane.index / INDICES_PER_WRITER)], lane)),
    );

    const kills: Array<{ ackedBefore: number; inFlight: number; restartMs: number }> = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      await progress.reach(kill * ACKS_PER_PHASE);
      const inFlight = lanes.filter((lane) => lane.inFlight).length;
      const ackedBefore = progress.count;
      const started = Date.now();
      server = await killAndRestartServer(server, dataDir, ['--size', String(SIZE)]);
      await watch.whenUp();
      kills.push({ ackedBefore, inFlight, restartMs: Date.now() - started });
    }
    await progress.reach((KILLS + 1) * ACKS_PER_PHASE);
    stop = true;
    await running;

    // The server's table, read over HTTP and over the protocol straight from the server.
    const table = await tableValues(server);
    const direct = await connectTo(server.protocol);
    const all = Array.from({ length: SIZE }, (_, i) => i).join(',');
    expect(await direct.send(`OP=GET;IND=${all};`)).toBe(
      `OP=GET;IND=${all};DATA=${table.join(',')};`,
    );

    const lost: string[] = [];
    let acknowledged = 0;
    let failed = 0;
    let laterUnacknowledged = 0;
    for (const lane of lanes) {
      acknowledged += lane.sent - lane.failed.length;
      failed += lane.failed.length;
      const value = BigInt(table[lane.index]);
      const found = value === 0n ? { index: lane.index, seq: 0 } : decode(value);
      const legal =
        found.index === lane.index &&
        (found.seq === lane.lastAcked ||
          (found.seq > lane.lastAcked && lane.failed.includes(found.seq)));
      if (!legal) {
        lost.push(
          `index ${lane.index}: last acknowledged PUT #${lane.lastAcked} (${valueOf(lane.index, lane.lastAcked)}), server has ${value}`,
        );
      } else if (found.seq !== lane.lastAcked) {
        laterUnacknowledged++;
      }
    }

    // The proxy is the same process, up, and agrees with the server on every index.
    expect(proxy.child.pid).toBe(proxyPid);
    expect(isUp(proxy)).toBe(true);
    const reader = await connectTo(proxy.protocol);
    expect(await reader.send(`OP=GET;IND=${all};`)).toBe(
      `OP=GET;IND=${all};DATA=${table.join(',')};`,
    );

    recordFigures('server SIGKILL under PUT load', {
      writers: WRITERS,
      indices: SIZE,
      faultsInjected: KILLS,
      putsInFlightAtEachKill: kills.map((kill) => kill.inFlight).join(','),
      restartToServingMs: kills.map((kill) => kill.restartMs).join(','),
      putsSent: acknowledged + failed,
      acknowledgedWrites: acknowledged,
      failedWithUpstreamError: failed,
      finalValueFromALaterUnacknowledgedWrite: laterUnacknowledged,
      acknowledgedWritesLost: lost.length,
      unexpectedReplies: unexpected.length,
    });

    expect(unexpected).toEqual([]);
    expect(lost).toEqual([]);
    // The kills really happened in the middle of the load.
    expect(kills.every((kill) => kill.inFlight > 0)).toBe(true);
    expect(failed).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThanOrEqual((KILLS + 1) * ACKS_PER_PHASE);
  });
});
