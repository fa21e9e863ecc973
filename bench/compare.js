#!/usr/bin/env node
// `npm run bench:compare` (BENCH_SECONDS, BENCH_ROUNDS): the same load against the baseline (bench/baseline-server.js),
// the server directly and the proxy (all hits, all misses), plus pipelining, single-connection
// latency, Redis (`EXISTS k`, when `redis-server` is installed), what the proxy's features cost
// (an event subscriber, the heat series when scraped, a subscription to invalidations) and the
// memory cost of idle connections. Prints each result and its ratio to the baseline, and the
// targets of docs/performance.md. Builds first if needed.
'use strict';
const net = require('node:net');
const { spawn, spawnSync, execFile } = require('node:child_process');
const { join } = require('node:path');
const { readFileSync } = require('node:fs');
const os = require('node:os');
const { entries, ensureBuilt, root } = require('../scripts/run');
const {
  seconds,
  rounds,
  children,
  command,
  placement,
  start,
  bench,
  median,
  fmt,
  runScript,
} = require('./harness');

const CONNECTIONS = '50';

/** A port free a moment ago (redis-server cannot be told to pick one). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once something on `port` answers `PING` with `+PONG`. */
async function redisAnswers(port) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

/** A throwaway Redis (no persistence) on a free port, with the measured processes; null without redis-server. */
async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const flags = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(...command('app', 'redis-server', flags), { stdio: 'ignore' });
  children.push(child);
  await redisAnswers(port);
  return { port, url: `redis://127.0.0.1:${port}/0` };
}

/**
 * `redis-benchmark` sending `EXISTS k` on 50 connections, one request in flight on each (Redis
 * speaks RESP, which `semicache bench` does not), for about BENCH_SECONDS: it counts requests,
 * not time, so each run asks for as many as the last one made in that time.
 */
function redisBench(port) {
  let expected = 50_000;
  return () =>
    new Promise((resolve, reject) => {
      const args = ['-h', '127.0.0.1', '-p', String(port), '-c', CONNECTIONS, '-P', '1'];
      args.push('-n', String(Math.round(expected * seconds)), '--csv', 'EXISTS', 'k');
      execFile(...command('load', 'redis-benchmark', args), (error, stdout, stderr) => {
        if (error) return reject(new Error(`redis-benchmark failed: ${stderr || error.message}`));
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        const [header, values] = stdout
          .trim()
          .split('\n')
          .slice(-2)
          .map((line) => JSON.parse(`[${line}]`));
        const field = (name) => Number(values[header.indexOf(name)]);
        expected = field('rps');
        resolve({
          throughput: field('rps'),
          latencyMs: { p50: field('p50_latency_ms'), p99: field('p99_latency_ms'), p999: null },
          hitRatio: null,
          errors: 0,
        });
      });
    });
}

/** Runs `run` while /metrics of `admin` is scraped every second (as a busy Prometheus would). */
async function scraped(admin, run) {
  const timer = setInterval(() => {
    fetch(`${admin}/metrics`)
      .then((response) => response.text())
      .catch(() => undefined);
  }, 1000);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

/** Resident memory of a process, in bytes, from /proc (Linux). */
function residentBytes(pid) {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/** The median of RSS samples over about a second: GC makes one reading swing by megabytes. */
async function residentMedian(pid) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(residentBytes(pid));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return median(samples);
}

/** Opens `count` connections to `port` and has one request answered on each. */
async function connectAndAsk(port, count) {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.on('error', reject);
        }),
    ),
  );
  // One request on each, so every connection is fully set up on the app's side.
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          socket.once('data', resolve);
          socket.write('OP=GET;IND=0;\n');
        }),
    ),
  );
  return sockets;
}

/**
 * Extra RSS of `count` idle connections to a freshly started app. A first few connections are
 * opened and closed before, so that what happens once (code compiled on first use, lazy
 * set-up) is not counted as the connections' cost.
 */
async function idleConnectionsCost(app, count) {
  for (const socket of await connectAndAsk(app.port, 10)) socket.destroy();
  const before = await residentMedian(app.child.pid);
  const sockets = await connectAndAsk(app.port, count);
  const after = await residentMedian(app.child.pid);
  for (const socket of sockets) socket.destroy();
  return after - before;
}

async function main() {
  ensureBuilt();
  const baseline = await start(join(__dirname, 'baseline-server.js'), [], 'baseline');
  const server = await start(
    join(root, entries.server),
    ['--in-memory', '--size', '1000', '--port', '0', '--admin-port', '0'],
    'server',
  );
  const startProxy = (...flags) =>
    start(
      join(root, entries.proxy),
      ['--port', '0', '--admin-port', '0', '--upstream', `127.0.0.1:${server.port}`, ...flags],
      'proxy',
    );
  const proxy = await startProxy('--capacity', '5');
  const missProxy = await startProxy('--capacity', '5');
  const redis = await startRedis();
  // The features' cost: each on a proxy of its own, next to `proxy, all hits` (events recorded,
  // nobody listening; heat counted; 20 heat series, not scraped; no invalidations).
  const watchedProxy = await startProxy('--capacity', '5');
  // The subscriber runs with the measured processes: its reading is a cost of the proxy's host.
  const subscriber = spawn(
    ...command('app', process.execPath, [
      join(root, entries.cli),
      '--proxy-admin',
      watchedProxy.admin,
      '--json',
      'watch',
    ]),
    // Quiet: it says so on stderr when the proxy stops at the end.
    { stdio: 'ignore' },
  );
  children.push(subscriber);
  const heatProxy = await startProxy('--capacity', '5');
  const noHeatSeriesProxy = await startProxy('--capacity', '5', '--heat-series', '0');
  const invalidatedProxy =
    redis && (await startProxy('--capacity', '5', '--invalidation', redis.url));

  const hits = (target) => () =>
    bench(target.port, target.admin, ['-c', CONNECTIONS, '--keys', '5']);
  const runs = [
    [
      'baseline, 50 connections',
      () => bench(baseline.port, undefined, ['-c', CONNECTIONS, '--keys', '5']),
    ],
    ['server directly', () => bench(server.port, undefined, ['-c', CONNECTIONS, '--keys', '5'])],
    ['proxy, all hits', hits(proxy)],
    [
      'proxy, all misses',
      () => bench(missProxy.port, missProxy.admin, ['-c', CONNECTIONS, '--keys', '1000']),
    ],
    [
      'proxy, all hits, pipeline 16',
      () => bench(proxy.port, proxy.admin, ['-c', CONNECTIONS, '--keys', '5', '-P', '16']),
    ],
    ['baseline, 1 connection', () => bench(baseline.port, undefined, ['-c', '1', '--keys', '5'])],
    [
      'proxy, all hits, 1 connection',
      () => bench(proxy.port, proxy.admin, ['-c', '1', '--keys', '5']),
    ],
    ...(redis ? [['Redis, EXISTS k (redis-benchmark)', redisBench(redis.port)]] : []),
    ['proxy, all hits, one event subscriber', hits(watchedProxy)],
    ['proxy, all hits, /metrics every 1 s', () => scraped(heatProxy.admin, hits(heatProxy))],
    [
      'proxy, all hits, /metrics every 1 s, --heat-series 0',
      () => scraped(noHeatSeriesProxy.admin, hits(noHeatSeriesProxy)),
    ],
    ...(invalidatedProxy
      ? [['proxy, all hits, invalidations subscribed', hits(invalidatedProxy)]]
      : []),
  ];
  // Rounds of every run, interleaved, and the median of each: a 2-core machine shared with other
  // work drifts, and interleaving spreads the drift over all runs instead of a few.
  // Round 0 warms every app up and is not counted: the JIT compiles the hot paths, and the
  // proxy learns its upstream batch bound, within the first seconds of a load.
  const samples = Object.fromEntries(runs.map(([name]) => [name, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const [name, run] of runs) {
      const label = round === 0 ? 'warm-up' : `round ${round}/${rounds}`;
      process.stderr.write(`${label}: ${name} (${seconds} s)\n`);
      const result = await run();
      if (round > 0) samples[name].push(result);
    }
  }
  const results = Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [
      name,
      {
        throughput: median(list.map((r) => r.throughput)),
        spread: [
          Math.min(...list.map((r) => r.throughput)),
          Math.max(...list.map((r) => r.throughput)),
        ],
        latencyMs: {
          p50: median(list.map((r) => r.latencyMs.p50)),
          p99: median(list.map((r) => r.latencyMs.p99)),
          p999: list[0].latencyMs.p999 === null ? null : median(list.map((r) => r.latencyMs.p999)),
        },
        hitRatio: list[0].hitRatio === null ? null : median(list.map((r) => r.hitRatio)),
        errors: list.reduce((sum, r) => sum + r.errors, 0),
      },
    ]),
  );
  // A fresh proxy: one that has just served the runs above gives its heap back meanwhile.
  const idleProxy = await startProxy();
  const idleBytes = await idleConnectionsCost(idleProxy, 1000);
  const idleBaseline = await start(join(__dirname, 'baseline-server.js'), [], 'baseline');
  const baselineIdleBytes = await idleConnectionsCost(idleBaseline, 1000);

  const base = results['baseline, 50 connections'].throughput;
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    fmt(r.throughput),
    `${fmt(r.spread[0])}–${fmt(r.spread[1])}`,
    fmt(r.throughput / base, 2),
    fmt(r.latencyMs.p50, 3),
    fmt(r.latencyMs.p99, 3),
    r.latencyMs.p999 === null ? 'n/a' : fmt(r.latencyMs.p999, 3),
    r.hitRatio === null ? 'n/a' : `${fmt(r.hitRatio * 100, 1)}%`,
    fmt(r.errors),
  ]);
  const header = [
    'run',
    'req/s (median)',
    'req/s (min–max)',
    'x baseline',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'hit ratio',
    'errors',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  const out = [
    line(header),
    '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |',
    ...rows.map(line),
  ];

  const t = (name) => results[name].throughput;
  const p99 = (name) => results[name].latencyMs.p99;
  const targets = [
    ['proxy all hits >= 0.85 x baseline', t('proxy, all hits') / base, 0.85],
    ['server directly >= 0.85 x baseline', t('server directly') / base, 0.85],
    ['proxy all misses >= 0.6 x baseline', t('proxy, all misses') / base, 0.6],
    [
      'pipeline 16 >= 3 x no pipelining',
      t('proxy, all hits, pipeline 16') / t('proxy, all hits'),
      3,
    ],
  ];
  const redisRow = 'Redis, EXISTS k (redis-benchmark)';
  if (results[redisRow]) {
    targets.push(['proxy all hits >= 0.6 x Redis', t('proxy, all hits') / t(redisRow), 0.6]);
  }
  out.push('', '| target | measured | met |', '| --- | --- | --- |');
  for (const [name, value, goal] of targets)
    out.push(`| ${name} | ${fmt(value, 2)} | ${value >= goal ? 'yes' : 'no'} |`);
  const latencyRatio = p99('proxy, all hits, 1 connection') / p99('baseline, 1 connection');
  out.push(
    `| 1 connection: proxy p99 <= 1.2 x baseline p99 | ${fmt(latencyRatio, 2)} | ${latencyRatio <= 1.2 ? 'yes' : 'no'} |`,
  );
  const mb = idleBytes / 1024 / 1024;
  out.push(
    `| 1,000 idle connections cost the proxy < 8 MB | ${fmt(mb, 1)} MB (bare Node server: ${fmt(baselineIdleBytes / 1024 / 1024, 1)} MB) | ${mb < 8 ? 'yes' : 'no'} |`,
  );
  out.push(
    '',
    `machine: ${os.cpus().length} x ${os.cpus()[0].model}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, load average ${os
      .loadavg()
      .map((l) => fmt(l, 2))
      .join(
        ' ',
      )} at the end; ${placement()}; ${rounds} interleaved rounds of ${seconds} s per run after one warm-up round, medians`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

runScript(main);
