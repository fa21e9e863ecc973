/**
 * Several servers and proxies on one Redis, kept coherent by invalidations, with faults.
 *
 * A real redis-server (append-only file, fsync always), two servers on it (`--store redis
 * --invalidation`), three proxies (`--upstream` both servers, in different orders, and
 * `--invalidation`), sixteen clients spread over the proxies running random GET / PUT / ADD on
 * a few indices through tiny caches. Meanwhile a proxy is killed (SIGKILL) and restarted, Redis
 * is killed and restarted, and a server is killed and restarted.
 *
 * The history checker (test/support/history.ts) then checks every value read, allowing what
 * the design allows and nothing more: a read through one proxy may return a value overwritten
 * (by a write through another) before it began only while the invalidation of that write can
 * still be in flight, that is, if it began less than the largest invalidation lag any proxy
 * measured after the overwriting write was acknowledged. Every such stale read is counted. A
 * proxy serves no hit while its subscription is down, so a stale read then would come from a
 * cache the design keeps empty and would fall outside the window. Operations that failed with
 * UPSTREAM_*, STORE_UNAVAILABLE or a closed connection have an unknown outcome. At the end every
 * proxy agrees with the table in Redis.
 */
import { ProxyAdmin, type ProxyStats, seededRandom } from '@semicache/client';
import { closeAllConnections } from '../support/line-client';
import {
  countByOp,
  planOperations,
  readFinalState,
  recordedOperation,
  verifyHistory,
} from '../support/history';
import { type RunningApp, startApp, stopAll, waitFor } from '../support/processes';
import { RedisServer } from '../support/redis';
import { removeTempDirs } from '../support/temp-dirs';
import { recordFigures } from './support/figures';
import {
  CLOSED,
  Progress,
  UpstreamWatch,
  killAndRestart,
  runThroughFaults,
} from './support/faults';

jest.setTimeout(180_000);

const CLIENTS = 16;
const OPS_PER_CLIENT = 300;
const INDICES = 4;
// Every index fits: a stale entry would stay until its invalidation drops it.
const CAPACITY = INDICES;
const SEED = 0x5ca1e;
/** Clock differences between the processes that time a lag (Redis, the proxies). */
const CLOCK_SLACK_NS = 2_000_000n;
/** Unknown outcomes: the upstream, the store or the connection failed before the reply. */
const FAILURE =
  /^OP=ERR;CODE=(UPSTREAM_UNAVAILABLE|UPSTREAM_TIMEOUT|STORE_UNAVAILABLE);MSG=[^;]+;$/;

type Fault = 'proxy' | 'redis' | 'server';
/** The faults, and the share of all operations done when each is injected. */
const SCHEDULE: ReadonlyArray<[number, Fault]> = [
  [0.2, 'proxy'],
  [0.45, 'redis'],
  [0.7, 'server'],
];

describe('the history checker with an invalidation lag', () => {
  const op = (message: string, interval: [number, number], reply: string) =>
    recordedOperation(0, message, interval, reply);
  const put1 = op('OP=PUT;IND=0;DATA=1;', [10, 20], 'OP=PUT;IND=0;DATA=1;');
  const put2 = op('OP=PUT;IND=0;DATA=2;', [30, 40], 'OP=PUT;IND=0;DATA=2;');
  const readOf = (at: number) => op('OP=GET;IND=0;', [at, at + 5], 'OP=GET;IND=0;DATA=1;');

  it('counts a stale read that began within the lag after the overwriting write was acknowledged', () => {
    const verdict = verifyHistory([put1, put2, readOf(45)], {
      indices: 1,
      invalidationLagNs: 10n,
    });
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.staleReads.map((stale) => stale.sinceOverwrittenNs)).toEqual([5n]);
  });

  it('reports one that began later, and any stale read without a lag (one proxy)', () => {
    expect(
      verifyHistory([put1, put2, readOf(55)], { indices: 1, invalidationLagNs: 10n }).anomalies,
    ).toEqual([expect.stringContaining('more than the invalidation lag')]);
    expect(verifyHistory([put1, put2, readOf(45)], { indices: 1 }).anomalies).toHaveLength(1);
  });
});

describe('2 servers and 3 proxies on one Redis, with a proxy, Redis and a server killed', () => {
  let redis: RedisServer;
  let servers: RunningApp[];
  let proxies: RunningApp[];
  const serverArgs = () => [
    '--store',
    'redis',
    '--redis-url',
    redis.url(),
    '--invalidation',
    redis.url(),
  ];
  const proxyArgs = (proxy: number) => {
    const upstreams = servers.map((server) => `127.0.0.1:${server.protocol.port}`);
    // The second proxy prefers the second server: both serve all along.
    if (proxy === 1) upstreams.reverse();
    return [
      '--upstream',
      upstreams.join(','),
      '--invalidation',
      redis.url(),
      '--capacity',
      String(CAPACITY),
      '--upstream-timeout-ms',
      '1000',
    ];
  };

  beforeAll(async () => {
    redis = await RedisServer.start('always');
    servers = await Promise.all([0, 1].map(() => startApp('server', serverArgs())));
    proxies = await Promise.all([0, 1, 2].map((proxy) => startApp('proxy', proxyArgs(proxy))));
  });

  afterAll(async () => {
    closeAllConnections();
    await stopAll();
    removeTempDirs();
  });

  it('finds every stale read within the invalidation lag, and no other anomaly', async () => {
    const stats = () => Promise.all(proxies.map((proxy) => new ProxyAdmin(proxy.admin).stats()));
    await waitFor('every proxy subscribed', async () =>
      (await stats()).every((each) => each.invalidation?.subscribed) ? true : undefined,
    );
    const random = seededRandom(SEED);
    const plans = Array.from({ length: CLIENTS }, (_, client) =>
      planOperations(client, random, { count: OPS_PER_CLIENT, indices: INDICES }),
    );
    const total = CLIENTS * OPS_PER_CLIENT;
    const progress = new Progress();
    const watches = [0, 1, 2].map((proxy) => new UpstreamWatch(() => proxies[proxy]));

    const started = Date.now();
    const clients = Promise.all(
      plans.map((operations, client) =>
        runThroughFaults(
          proxies[client % 3].protocol,
          operations,
          progress,
          watches[client % 3],
          FAILURE,
        ),
      ),
    );
    // Each proxy's figures before it is killed (a new one starts from zero).
    const retired: ProxyStats[] = [];
    const injected: string[] = [];
    for (const [share, fault] of SCHEDULE) {
      await progress.reach(Math.floor(total * share));
      if (fault === 'proxy') {
        retired.push(await new ProxyAdmin(proxies[2].admin).stats());
        proxies[2] = await killAndRestart(proxies[2], proxyArgs(2));
        injected.push('proxy SIGKILL+restart');
      } else if (fault === 'redis') {
        await redis.restart();
        injected.push('Redis SIGKILL+restart');
      } else {
        servers[0] = await killAndRestart(servers[0], serverArgs());
        injected.push('server SIGKILL+restart');
      }
    }
    const runs = await clients;
    const elapsedMs = Date.now() - started;

    const { finalRead } = await readFinalState(servers[1].protocol, proxies[0].protocol, INDICES);
    const live = await stats();
    const lags = [...retired, ...live].map((each) => each.invalidation!.lagSeconds);
    const maxLagSeconds = Math.max(...lags.map((lag) => lag.max ?? 0));

    const operations = plans.flat();
    const verdict = verifyHistory([...operations, finalRead], {
      indices: INDICES,
      indeterminate: (operation) =>
        FAILURE.test(operation.reply) || operation.reply.startsWith(CLOSED),
      invalidationLagNs: BigInt(Math.ceil(maxLagSeconds * 1e9)) + CLOCK_SLACK_NS,
    });
    const counts = countByOp(operations);
    const ms = (ns: bigint) => Math.round(Number(ns) / 1e4) / 100;
    const staleSince = verdict.staleReads.map((stale) => stale.sinceOverwrittenNs);
    recordFigures('scale-out: 2 servers, 3 proxies, one Redis', {
      seed: SEED,
      clients: CLIENTS,
      operations: operations.length,
      'operations.GET': counts.GET,
      'operations.PUT': counts.PUT,
      'operations.ADD': counts.ADD,
      elapsedMs,
      faults: injected.join(', '),
      failedWithUnknownOutcome: verdict.indeterminate,
      reconnections: runs.reduce((sum, run) => sum + run.reconnections, 0),
      readsChecked: verdict.readsChecked,
      sumsChecked: verdict.sumsChecked,
      anomalies: verdict.anomalies.length,
      staleReads: verdict.staleReads.length,
      staleReadLongestAfterOverwriteMs:
        staleSince.length === 0 ? 0 : ms(staleSince.reduce((a, b) => (a > b ? a : b))),
      invalidationLagMaxMs: Math.round(maxLagSeconds * 1e5) / 100,
      invalidationLagP50Ms: live
        .map((each) => Math.round((each.invalidation!.lagSeconds.p50 ?? 0) * 1e5) / 100)
        .join(','),
      invalidationLagP99Ms: live
        .map((each) => Math.round((each.invalidation!.lagSeconds.p99 ?? 0) * 1e5) / 100)
        .join(','),
      invalidationsApplied: [...retired, ...live].reduce(
        (sum, each) => sum + each.invalidation!.invalidations,
        0,
      ),
      cacheResets: [...retired, ...live].reduce((sum, each) => sum + each.invalidation!.resets, 0),
      cacheHits: [...retired, ...live].reduce((sum, each) => sum + each.hits, 0),
      cacheMisses: [...retired, ...live].reduce((sum, each) => sum + each.misses, 0),
    });
    for (const anomaly of verdict.anomalies.slice(0, 20)) console.log(`! ${anomaly}`);

    expect(operations).toHaveLength(total);
    expect(verdict.anomalies).toEqual([]);
    expect(injected).toHaveLength(SCHEDULE.length);
    // The faults were felt, the caches were used, and invalidations were applied throughout.
    expect(verdict.indeterminate).toBeGreaterThan(0);
    expect(live.every((each) => each.hits > 0 && each.invalidation!.subscribed)).toBe(true);
    expect(verdict.readsChecked).toBeGreaterThan(total / 3);
    // Quiet now: every proxy ends with what the table holds (its invalidations all applied).
    for (const proxy of proxies) {
      await waitFor('the proxy to agree with the server', async () => {
        const state = await readFinalState(servers[1].protocol, proxy.protocol, INDICES);
        return state.viaProxy === state.serverReply ? true : undefined;
      });
    }
  });
});
