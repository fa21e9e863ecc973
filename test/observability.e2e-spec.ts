// The metrics and the dashboards (issue 6): both apps' own metrics pass `promtool check
// metrics`; a real Prometheus scrapes a real server and proxy with the shipped scrape config,
// after a known sequence of requests every panel expression of both dashboards returns data,
// and the hit ratio Prometheus computes is the one the sequence makes.
//
// Needs `prometheus` and `promtool` on PATH (Debian: apt-get install prometheus; .ci/run does
// it). Without them this test fails; it never skips.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ProtocolConnection, ProxyAdmin } from '@semicache/client';
import { type DashboardJson, panelQueries } from '../grafana/dashboards/inspect';
import { closeAllConnections, connectTo } from './support/line-client';
import { freePort } from './support/ports';
import { ROOT, type RunningApp, startApp, stopAll, waitFor } from './support/processes';
import { makeTempDir, removeTempDirs } from './support/temp-dirs';

jest.setTimeout(60_000);

const GRAFANA = join(ROOT, 'grafana');
const DASHBOARD_FILES = ['cache.json', 'server.json'];
/**
 * What the test puts for Grafana's `$__rate_interval`: longer than the whole test, so every rate
 * window holds every sample Prometheus took, from before the first request to after the last.
 */
const RATE_WINDOW = '5m';
const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  $__rate_interval: RATE_WINDOW,
  $__interval: RATE_WINDOW,
  $__range: RATE_WINDOW,
};

// ---------------------------------------------------------------------------------------------
// Tools

function requireTool(name: string): void {
  const found = spawnSync(name, ['--version'], { stdio: 'ignore' });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error(
      `"${name}" is not installed or does not run (${found.error?.message ?? `exit ${found.status}`}). ` +
        'This test needs a real Prometheus: apt-get install -y --no-install-recommends prometheus ' +
        '(.ci/run installs it). It runs its own on a free port, beside any other.',
    );
  }
}

interface ToolRun {
  readonly status: number | null;
  readonly output: string;
}

/** Runs promtool with `input` on stdin; `output` is its stdout and stderr together. */
function promtool(args: readonly string[], input: string): ToolRun {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 15_000 });
  if (run.error !== undefined) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

// ---------------------------------------------------------------------------------------------
// Metrics text

/** The metric family a line of Prometheus text format belongs to (by its name's prefix). */
function lineMetricName(line: string): string | undefined {
  const comment = /^# (?:HELP|TYPE) (\S+)/.exec(line);
  if (comment !== null) return comment[1];
  if (line.startsWith('#') || line.trim() === '') return undefined;
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
}

/** The exposition without prom-client's default `process_*` and `nodejs_*` families. */
function withoutDefaultMetrics(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^(process_|nodejs_)/.test(lineMetricName(line) ?? ''))
    .join('\n');
}

async function metricsText(app: RunningApp): Promise<string> {
  const response = await fetch(`${app.admin}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

// ---------------------------------------------------------------------------------------------
// Prometheus

function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2)
    throw new Error(
      `expected "${from}" once in grafana/prometheus.yml, found it ${parts.length - 1} times`,
    );
  return parts.join(to);
}

/** The shipped scrape config, pointed at the ports really bound, scraping every second. */
function testScrapeConfig(proxy: RunningApp, server: RunningApp): string {
  let config = readFileSync(join(GRAFANA, 'prometheus.yml'), 'utf8');
  config = replaceOnce(config, 'scrape_interval: 5s', 'scrape_interval: 1s');
  config = replaceOnce(config, 'evaluation_interval: 5s', 'evaluation_interval: 1s');
  // The shipped targets (npm start's and npm run cluster's) become this test's two apps.
  config = replaceOnce(
    config,
    "['127.0.0.1:9001', '127.0.0.1:9011', '127.0.0.1:9021']",
    `['${new URL(proxy.admin).host}']`,
  );
  config = replaceOnce(
    config,
    "['127.0.0.1:9002', '127.0.0.1:9012']",
    `['${new URL(server.admin).host}']`,
  );
  return config;
}

interface PrometheusProcess {
  readonly child: ChildProcess;
  readonly url: string;
  log(): string;
}

let prometheus: PrometheusProcess | undefined;

function startPrometheus(configFile: string, storage: string, port: number): PrometheusProcess {
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (log += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (log += text));
  return { child, url: `http://127.0.0.1:${port}`, log: () => log };
}

function assertPrometheusRunning(): PrometheusProcess {
  if (prometheus === undefined) throw new Error('prometheus was not started');
  const { child } = prometheus;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(
      `prometheus exited (${child.exitCode ?? child.signalCode}); its log:\n${prometheus.log()}`,
    );
  }
  return prometheus;
}

async function stopPrometheus(): Promise<void> {
  if (prometheus === undefined) return;
  const { child } = prometheus;
  prometheus = undefined;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query through the HTTP API; rejects on an error answer or a non-vector result. */
async function query(expr: string, atMs?: number): Promise<VectorSample[]> {
  const { url } = assertPrometheusRunning();
  const params = new URLSearchParams({ query: expr });
  if (atMs !== undefined) params.set('time', (atMs / 1000).toFixed(3));
  const response = await fetch(`${url}/api/v1/query?${params.toString()}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: VectorSample[] };
  };
  if (response.status !== 200 || body.status !== 'success' || body.data?.resultType !== 'vector') {
    throw new Error(
      `query ${expr} answered ${response.status}: ${body.error ?? JSON.stringify(body.data)}`,
    );
  }
  return body.data.result;
}

/** The value of a query that must give exactly one series. */
async function single(expr: string): Promise<number> {
  const result = await query(expr);
  if (result.length !== 1)
    throw new Error(`query ${expr} gave ${result.length} series, not 1: ${JSON.stringify(result)}`);
  return Number(result[0].value[1]);
}

/** Every Grafana variable replaced by a value Prometheus accepts; none may be left over. */
function expand(expr: string): string {
  let out = expr;
  for (const [name, value] of Object.entries(GRAFANA_VARIABLES)) out = out.split(name).join(value);
  if (out.includes('$')) throw new Error(`unknown Grafana variable in ${expr}`);
  return out;
}

function committedDashboard(file: string): DashboardJson {
  return JSON.parse(readFileSync(join(GRAFANA, 'dashboards', file), 'utf8')) as DashboardJson;
}

function panelExpr(file: string, title: string, refId?: string): string {
  const found = panelQueries(committedDashboard(file)).filter(
    (q) => q.panel === title && (refId === undefined || q.refId === refId),
  );
  if (found.length !== 1)
    throw new Error(`${file} has ${found.length} targets in a panel titled "${title}"`);
  return found[0].expr;
}

// ---------------------------------------------------------------------------------------------
// The system under test and the known sequence

let server: RunningApp;
let proxy: RunningApp;
let client: ProtocolConnection;

/**
 * One round of requests through the proxy (capacity 5, FIFO) to an in-memory server of 10
 * entries. Each index of a GET or ADD is one cache lookup; PUT stores without looking up.
 */
const ROUND: ReadonlyArray<readonly [send: string, reply: string | RegExp]> = [
  // Empties the server and the cache: every round starts alike.
  ['OP=CLR;', 'OP=CLR;'],
  // Write-through: 0, 1, 2 stored in the cache, no lookups.
  ['OP=PUT;IND=0,1,2;DATA=10,20,30;', 'OP=PUT;IND=0,1,2;DATA=10,20,30;'],
  // 3 + 3 + 3 hits.
  ['OP=GET;IND=0,1,2;', 'OP=GET;IND=0,1,2;DATA=10,20,30;'],
  ['OP=GET;IND=0,1,2;', 'OP=GET;IND=0,1,2;DATA=10,20,30;'],
  ['OP=ADD;IND=0,1,2;', 'OP=ADD;IND=0,1,2;DATA=60;'],
  // 3 misses, one upstream GET; 3 and 4 fill the cache, 5 evicts 0 (the oldest).
  ['OP=GET;IND=3,4,5;', 'OP=GET;IND=3,4,5;DATA=0,0,0;'],
  // A protocol error at the proxy only: no lookup, nothing sent upstream.
  ['hello', /^OP=ERR;CODE=BAD_SYNTAX;MSG=[^;]+;$/],
  // The server rejects it: an upstream error, and BAD_INDEX at both; no lookup.
  ['OP=PUT;IND=12;DATA=1;', /^OP=ERR;CODE=BAD_INDEX;MSG=[^;]+;$/],
];
/**
 * The round runs twice, with a scrape between. prom-client creates a labelled series (an op, an
 * outcome, an error code) at its first use, so Prometheus's first sample of it already holds
 * that first request and rate() cannot see it; the second round is what the labelled panels
 * show. The unlabelled cache counters exist from the start (at 0), so the hit ratio covers both.
 */
const ROUNDS = 2;
const HITS = 9 * ROUNDS;
const MISSES = 3 * ROUNDS;
const HIT_RATIO = 0.75;

async function driveRound(): Promise<void> {
  for (const [send, reply] of ROUND) {
    const got = await client.send(send);
    if (typeof reply === 'string') expect(got).toBe(reply);
    else expect(got).toMatch(reply);
  }
}

/**
 * Waits until Prometheus has scraped each app `count` times since `sinceMs` (plus 50 ms of
 * margin for its timestamp alignment): those scrapes hold everything done before `sinceMs`.
 */
async function scrapedSince(sinceMs: number, count: number): Promise<void> {
  await waitFor(
    `${count} scrapes of each app after ${new Date(sinceMs).toISOString()}`,
    async () => {
      const now = Date.now();
      const window = now - sinceMs - 50;
      if (window <= 0) return undefined;
      const scrapes = await query(`count_over_time(up[${window}ms])`, now);
      const counts = scrapes.map((sample) => Number(sample.value[1]));
      return counts.length === 2 && counts.every((n) => n >= count) ? true : undefined;
    },
    20_000,
    100,
  );
}

beforeAll(async () => {
  requireTool('prometheus');
  requireTool('promtool');

  server = await startApp('server', ['--in-memory', '--size', '10']);
  proxy = await startApp('proxy', [
    '--upstream',
    `${server.protocol.host}:${server.protocol.port}`,
    '--capacity',
    '5',
    '--eviction',
    'fifo',
  ]);

  const dir = makeTempDir('semicache-prometheus-');
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, testScrapeConfig(proxy, server));
  prometheus = startPrometheus(configFile, join(dir, 'data'), await freePort());
  const { url } = prometheus;
  await waitFor(
    'prometheus to be ready',
    async () => {
      assertPrometheusRunning();
      const ready = await fetch(`${url}/-/ready`).then(
        (response) => response.status === 200,
        () => false,
      );
      return ready ? true : undefined;
    },
    20_000,
    100,
  );
  // A first scrape of both, before any request: the cache counters' rates start from zero.
  await waitFor(
    'prometheus to scrape the proxy and the server',
    async () => ((await query('up == 1')).length === 2 ? true : undefined),
    20_000,
    100,
  );
  await waitFor('the proxy to reach its upstream', async () =>
    (await new ProxyAdmin(proxy.admin).health()).status === 200 ? true : undefined,
  );

  client = await connectTo(proxy.protocol);
  for (let round = 1; round <= ROUNDS; round++) {
    await driveRound();
    // Two scrapes after the last round: every series then has two samples with the final counts.
    await scrapedSince(Date.now(), round === ROUNDS ? 2 : 1);
  }
});

afterAll(() => closeAllConnections());
afterAll(() => stopPrometheus());
afterAll(() => stopAll());
afterAll(() => removeTempDirs());

// ---------------------------------------------------------------------------------------------

describe('promtool check metrics', () => {
  it.each(['server', 'proxy'] as const)("finds nothing in the %s's own metrics", async (name) => {
    const app = name === 'server' ? server : proxy;
    const own = withoutDefaultMetrics(await metricsText(app));
    // What is linted is the project's registry, with samples in every family.
    const families = [...own.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
    expect(families).toEqual(
      expect.arrayContaining(['semicache_requests_total', 'semicache_request_duration_seconds']),
    );
    expect(families.filter((family) => !family.startsWith('semicache_'))).toEqual([]);
    expect(own).toMatch(
      /^semicache_request_duration_seconds_bucket\{le="0\.00005",op="GET",source="\w+"\} \d+$/m,
    );
    expect(promtool(['check', 'metrics'], own)).toEqual({ status: 0, output: '' });
  });

  it('reports a badly named metric (the lint really runs)', () => {
    const bad =
      '# HELP semicache_bad_requests Requests.\n# TYPE semicache_bad_requests counter\nsemicache_bad_requests 1\n';
    const run = promtool(['check', 'metrics'], bad);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(
      /semicache_bad_requests counter metrics should have "_total" suffix/,
    );
  });

  it('accepts the generated test config and the shipped one', () => {
    const dir = makeTempDir('semicache-promtool-');
    writeFileSync(join(dir, 'test.yml'), testScrapeConfig(proxy, server));
    for (const file of [join(GRAFANA, 'prometheus.yml'), join(dir, 'test.yml')]) {
      const run = promtool(['check', 'config', file], '');
      expect({ file, status: run.status }).toEqual({ file, status: 0 });
    }
  });
});

describe('a real Prometheus scraping the server and the proxy', () => {
  it('holds the counts the known sequence makes', async () => {
    const proxyJob = 'job="semicache-proxy"';
    const serverJob = 'job="semicache-server"';
    const values = {
      hits: await single(`semicache_cache_hits_total{${proxyJob}}`),
      misses: await single(`semicache_cache_misses_total{${proxyJob}}`),
      evictions: await single(`semicache_cache_evictions_total{${proxyJob}}`),
      entries: await single(`semicache_cache_entries{${proxyJob}}`),
      capacity: await single(`semicache_cache_capacity{${proxyJob}}`),
      proxyOk: await single(`sum(semicache_requests_total{${proxyJob}, outcome="ok"})`),
      proxyErrors: await single(`sum(semicache_requests_total{${proxyJob}, outcome="error"})`),
      proxyBadSyntax: await single(
        `semicache_protocol_errors_total{${proxyJob}, code="BAD_SYNTAX"}`,
      ),
      proxyBadIndex: await single(`semicache_protocol_errors_total{${proxyJob}, code="BAD_INDEX"}`),
      upstreamUp: await single(`semicache_upstream_up{${proxyJob}}`),
      upstreamGetOk: await single(
        `semicache_upstream_requests_total{${proxyJob}, op="GET", outcome="ok"}`,
      ),
      upstreamPutOk: await single(
        `semicache_upstream_requests_total{${proxyJob}, op="PUT", outcome="ok"}`,
      ),
      upstreamPutError: await single(
        `semicache_upstream_requests_total{${proxyJob}, op="PUT", outcome="error"}`,
      ),
      proxyConnections: await single(`semicache_connections_open{${proxyJob}}`),
      serverRequests: await single(`sum(semicache_requests_total{${serverJob}})`),
      serverBadIndex: await single(
        `semicache_protocol_errors_total{${serverJob}, code="BAD_INDEX"}`,
      ),
      serverConnections: await single(`semicache_connections_open{${serverJob}}`),
      // Where answers came from: the two GETs of 0, 1, 2 hit, the GET of 3, 4, 5 went upstream.
      proxyGetsFromCache: await single(
        `semicache_request_duration_seconds_count{${proxyJob}, op="GET", source="cache"}`,
      ),
      proxyGetsFromUpstream: await single(
        `semicache_request_duration_seconds_count{${proxyJob}, op="GET", source="upstream"}`,
      ),
      serverPutsFromStore: await single(
        `semicache_request_duration_seconds_count{${serverJob}, op="PUT", source="store"}`,
      ),
      // Heat: 0 is looked up by both GETs and the ADD of each round, and evicted by 5.
      index0Lookups: await single(`semicache_index_lookups_total{${proxyJob}, index="0"}`),
      index0Writes: await single(`semicache_index_writes_total{${proxyJob}, index="0"}`),
      index0Evictions: await single(`semicache_index_evictions_total{${proxyJob}, index="0"}`),
      index5Misses: await single(`semicache_index_misses_total{${proxyJob}, index="5"}`),
      evictedAges: await single(`semicache_cache_evicted_age_seconds_count{${proxyJob}}`),
      eventSubscribers: await single(`semicache_event_subscribers{${proxyJob}}`),
    };
    expect(values).toEqual({
      hits: HITS,
      misses: MISSES,
      evictions: ROUNDS,
      entries: 5,
      capacity: 5,
      proxyOk: 6 * ROUNDS,
      proxyErrors: 2 * ROUNDS,
      proxyBadSyntax: ROUNDS,
      proxyBadIndex: ROUNDS,
      upstreamUp: 1,
      upstreamGetOk: ROUNDS,
      upstreamPutOk: ROUNDS,
      upstreamPutError: ROUNDS,
      proxyConnections: 1, // this test's client
      serverRequests: 4 * ROUNDS, // CLR, the PUT, the one GET for the misses, the rejected PUT
      serverBadIndex: ROUNDS,
      serverConnections: 1, // the proxy's upstream connection
      proxyGetsFromCache: 2 * ROUNDS,
      proxyGetsFromUpstream: ROUNDS,
      serverPutsFromStore: ROUNDS, // the rejected PUT is an error
      index0Lookups: 3 * ROUNDS,
      index0Writes: ROUNDS,
      index0Evictions: ROUNDS,
      index5Misses: ROUNDS,
      evictedAges: ROUNDS,
      eventSubscribers: 0,
    });
  });

  it('reports the hit ratio of the sequence, as the proxy itself does', async () => {
    const raw = await single(
      'semicache_cache_hits_total / (semicache_cache_hits_total + semicache_cache_misses_total)',
    );
    const sinceStart = await single(expand(panelExpr('cache.json', 'Hit ratio (since start)')));
    const overWindow = await single(expand(panelExpr('cache.json', 'Hit ratio')));
    const stats = await new ProxyAdmin(proxy.admin).stats();
    expect({ raw, sinceStart, stats: stats.hitRatio }).toEqual({
      raw: HIT_RATIO,
      sinceStart: HIT_RATIO,
      stats: HIT_RATIO,
    });
    // From rates: both counters are extrapolated alike, so only float rounding may differ.
    expect(overWindow).toBeCloseTo(HIT_RATIO, 9);
  });

  it('shows in the "What if" row every policy at the live capacity, FIFO with the live hit ratio', async () => {
    // At capacity 5 this sequence leaves every policy the same hits: the PUT stores 0, 1, 2,
    // the 9 lookups of them hit, and 3, 4, 5 miss.
    const atLive = await query(
      expand(panelExpr('cache.json', 'Hit ratio per policy at the live capacity', 'A')),
    );
    const curve = await query(expand(panelExpr('cache.json', 'Miss-ratio curve per policy')));
    const byPolicy = (samples: VectorSample[]) =>
      Object.fromEntries(samples.map((s) => [s.metric.policy, Number(s.value[1])]));
    const everyPolicy = (value: number) =>
      Object.fromEntries(['arc', 'clock', 'fifo', 'lfu', 'lru', 'sieve'].map((p) => [p, value]));
    expect(byPolicy(atLive)).toEqual(everyPolicy(HIT_RATIO));
    expect(byPolicy(curve.filter((s) => s.metric.capacity === '5'))).toEqual(
      everyPolicy(1 - HIT_RATIO),
    );
    // Capacities 1..10 (twice the live capacity), each policy at each.
    expect(curve).toHaveLength(6 * 10);
  });

  it.each([
    ['proxy', 'cache.json'],
    ['server', 'server.json'],
  ] as const)('puts every semicache metric of the %s on %s', async (name, file) => {
    const app = name === 'proxy' ? proxy : server;
    const families = [...(await metricsText(app)).matchAll(/^# TYPE (semicache_\S+) (\S+)$/gm)];
    expect(families.length).toBeGreaterThan(0);
    const exprs = panelQueries(committedDashboard(file)).map((q) => q.expr);
    const missing = families
      .map(([, family, type]) => (type === 'histogram' ? `${family}_bucket` : family))
      .filter((metric) => !exprs.some((expr) => new RegExp(`\\b${metric}\\b`).test(expr)));
    expect(missing).toEqual([]);
  });

  it.each(DASHBOARD_FILES)('answers every panel expression of %s with data', async (file) => {
    // Except the invalidation panels: a proxy exports those metrics only with --invalidation
    // (a Redis and several proxies; apps/proxy/test/scale-out.e2e-spec.ts reads them).
    const queries = panelQueries(committedDashboard(file)).filter(
      ({ expr }) => !expr.includes('semicache_invalidation'),
    );
    expect(queries.length).toBeGreaterThan(5);
    const answers = [];
    for (const { panel, refId, expr } of queries) {
      const result = await query(expand(expr));
      const finite = result.filter((sample) => Number.isFinite(Number(sample.value[1])));
      answers.push({ panel, refId, expr, series: result.length, finite: finite.length });
    }
    // Every target gives at least one series with a number (not NaN: every rate window holds
    // requests of each op queried).
    const empty = answers.filter((answer) => answer.series === 0 || answer.finite === 0);
    expect(empty).toEqual([]);
  });
});
