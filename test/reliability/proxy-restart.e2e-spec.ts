/**
 * The proxy restarted (SIGTERM, then a new one on the same port) while clients run (issue 7):
 * on SIGTERM it answers what is in flight and exits 0, and no client sees an inconsistent value.
 *
 * Clients run random GET / PUT / ADD operations through the proxy; when their connection closes
 * they connect again (polling until the new proxy listens) and go on. A request whose connection
 * closed before its reply has an unknown outcome. The whole history is then checked with the
 * history checker (test/support/history.ts): every value read through either proxy is legal
 * given the writes around it, so a reconnected client is served values consistent with the
 * server. Finally the server's own table, read directly, is checked as one more read, and the
 * new proxy agrees with it on every index.
 */
import { seededRandom } from '@semicache/client';
import { closeAllConnections } from '../support/line-client';
import { type RunningApp, startApp, stopAll } from '../support/processes';
import { countByOp, readFinalState, planOperations, verifyHistory } from '../support/history';
import { recordFigures } from './support/figures';
import { CLOSED, Progress, restartProxy, runThroughFaults } from './support/faults';

jest.setTimeout(120_000);

const CLIENTS = 12;
const OPS_PER_CLIENT = 400;
const INDICES = 6;
const CAPACITY = 3;
const SEED = 0x2e57a27;
/** Restart the proxy when this share of all operations is done. */
const RESTART_AT = [0.25, 0.6];

describe('the proxy restarted while clients run', () => {
  let server: RunningApp;
  let proxy: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory']);
    proxy = await startApp('proxy', [
      '--upstream',
      `${server.protocol.host}:${server.protocol.port}`,
      '--capacity',
      String(CAPACITY),
    ]);
  });

  afterAll(async () => {
    closeAllConnections();
    await stopAll();
  });

  it(`serves reconnecting clients values consistent with the server, across ${RESTART_AT.length} restarts`, async () => {
    const random = seededRandom(SEED);
    const plans = Array.from({ length: CLIENTS }, (_, client) =>
      planOperations(client, random, { count: OPS_PER_CLIENT, indices: INDICES }),
    );
    const total = CLIENTS * OPS_PER_CLIENT;
    const progress = new Progress();
    const endpoint = proxy.protocol;

    const clients = Promise.all(
      plans.map((operations) => runThroughFaults(endpoint, operations, progress)),
    );
    for (const share of RESTART_AT) {
      await progress.reach(Math.floor(total * share));
      proxy = await restartProxy(proxy, server.protocol, ['--capacity', String(CAPACITY)]);
    }
    const runs = await clients;

    // Once quiet: the server's table, read directly, is one more read to check, and the new
    // proxy agrees with it.
    const { finalRead, serverReply, viaProxy } = await readFinalState(
      server.protocol,
      proxy.protocol,
      INDICES,
    );

    const operations = plans.flat();
    const verdict = verifyHistory([...operations, finalRead], {
      indices: INDICES,
      indeterminate: (operation) => operation.reply.startsWith(CLOSED),
    });
    const counts = countByOp(operations);
    const reconnections = runs.reduce((sum, run) => sum + run.reconnections, 0);
    recordFigures('proxy restart under load', {
      seed: SEED,
      clients: CLIENTS,
      faultsInjected: RESTART_AT.length,
      operations: operations.length,
      'operations.GET': counts.GET,
      'operations.PUT': counts.PUT,
      'operations.ADD': counts.ADD,
      closedBeforeReply: verdict.indeterminate,
      putsWithUnknownOutcome: verdict.indeterminateWrites,
      reconnections,
      readsChecked: verdict.readsChecked,
      sumsChecked: verdict.sumsChecked,
      anomalies: verdict.anomalies.length,
      readOrderInversions: verdict.readOrderInversions,
    });
    for (const anomaly of verdict.anomalies.slice(0, 20)) console.log(`! ${anomaly}`);

    expect(operations).toHaveLength(total);
    expect(verdict.anomalies).toEqual([]);
    // The restarts really cut clients off, and they came back.
    expect(reconnections).toBeGreaterThanOrEqual(CLIENTS);
    expect(verdict.readsChecked).toBeGreaterThan(total / 3);
    expect(viaProxy).toBe(serverReply);
  });
});
