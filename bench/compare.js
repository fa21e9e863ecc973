#!/usr/bin/env node
// `npm run bench:compare` (BENCH_SECONDS, BENCH_ROUNDS): the same load against the baseline (bench/baseline-server.js),
// the server directly and the proxy (all hits, all misses), plus pipelining, single-connection
// latency and the memory cost of idle connections. Prints each result and its ratio to the
// baseline, and the targets of docs/performance.md. Builds first if needed.
'use strict';
const net = require('node:net');
const { join } = require('node:path');
const os = require('node:os');
const { entries, ensureBuilt, root } = require('../scripts/run');
const { seconds, rounds, start, bench, median, fmt, runScript } = require('./harness');

async function residentBytes(admin) {
  const text = await (await fetch(`${admin}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)[1]);
}

/** RSS samples over about a second: GC makes one reading swing by megabytes either way. */
async function residentSamples(admin) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await residentBytes(admin));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return samples;
}

/** Extra RSS of `count` idle connections: the highest reading with them open minus the lowest before. */
async function idleConnectionsCost(port, admin, count) {
  const before = Math.min(...(await residentSamples(admin)));
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
  // One request on each, so every connection is fully set up on the proxy's side.
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          socket.once('data', resolve);
          socket.write('OP=GET;IND=0;\n');
        }),
    ),
  );
  const after = Math.max(...(await residentSamples(admin)));
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

  const runs = [
    [
      'baseline, 50 connections',
      () => bench(baseline.port, undefined, ['-c', '50', '--keys', '5']),
    ],
    ['server directly', () => bench(server.port, undefined, ['-c', '50', '--keys', '5'])],
    ['proxy, all hits', () => bench(proxy.port, proxy.admin, ['-c', '50', '--keys', '5'])],
    [
      'proxy, all misses',
      () => bench(missProxy.port, missProxy.admin, ['-c', '50', '--keys', '1000']),
    ],
    [
      'proxy, all hits, pipeline 16',
      () => bench(proxy.port, proxy.admin, ['-c', '50', '--keys', '5', '-P', '16']),
    ],
    ['baseline, 1 connection', () => bench(baseline.port, undefined, ['-c', '1', '--keys', '5'])],
    [
      'proxy, all hits, 1 connection',
      () => bench(proxy.port, proxy.admin, ['-c', '1', '--keys', '5']),
    ],
  ];
  // Rounds of every run, interleaved, and the median of each: a 2-core machine shared with other
  // work drifts, and interleaving spreads the drift over all runs instead of a few.
  const samples = Object.fromEntries(runs.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, run] of runs) {
      process.stderr.write(`round ${round}/${rounds}: ${name} (${seconds} s)\n`);
      samples[name].push(await run());
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
          p999: median(list.map((r) => r.latencyMs.p999)),
        },
        hitRatio: list[0].hitRatio === null ? null : median(list.map((r) => r.hitRatio)),
        errors: list.reduce((sum, r) => sum + r.errors, 0),
      },
    ]),
  );
  // A fresh proxy: one that has just served the runs above gives its heap back meanwhile.
  const idleProxy = await startProxy();
  const idleBytes = await idleConnectionsCost(idleProxy.port, idleProxy.admin, 1000);

  const base = results['baseline, 50 connections'].throughput;
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    fmt(r.throughput),
    `${fmt(r.spread[0])}–${fmt(r.spread[1])}`,
    fmt(r.throughput / base, 2),
    fmt(r.latencyMs.p50, 3),
    fmt(r.latencyMs.p99, 3),
    fmt(r.latencyMs.p999, 3),
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
    ['proxy all hits >= 0.8 x baseline', t('proxy, all hits') / base, 0.8],
    ['server directly >= 0.85 x baseline', t('server directly') / base, 0.85],
    ['proxy all misses >= 0.45 x baseline', t('proxy, all misses') / base, 0.45],
    [
      'pipeline 16 >= 3 x no pipelining',
      t('proxy, all hits, pipeline 16') / t('proxy, all hits'),
      3,
    ],
  ];
  out.push('', '| target | measured | met |', '| --- | --- | --- |');
  for (const [name, value, goal] of targets)
    out.push(`| ${name} | ${fmt(value, 2)} | ${value >= goal ? 'yes' : 'no'} |`);
  const latencyRatio = p99('proxy, all hits, 1 connection') / p99('baseline, 1 connection');
  out.push(
    `| 1 connection: proxy p99 <= 1.5 x baseline p99 | ${fmt(latencyRatio, 2)} | ${latencyRatio <= 1.5 ? 'yes' : 'no'} |`,
  );
  const mb = idleBytes / 1024 / 1024;
  out.push(
    `| 1,000 idle connections cost the proxy < 50 MB | ${fmt(mb, 1)} MB | ${mb < 50 ? 'yes' : 'no'} |`,
  );
  out.push(
    '',
    `machine: ${os.cpus().length} x ${os.cpus()[0].model}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}; ${rounds} interleaved rounds of ${seconds} s per run, medians`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

runScript(main);
