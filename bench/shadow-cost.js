#!/usr/bin/env node
// `npm run bench:shadows` (BENCH_SECONDS, BENCH_ROUNDS): what the shadow caches cost the proxy's
// hit path. The same loads (50 connections, all hits on 5 keys; then 16 requests in flight per
// connection) against proxies in front of one server that differ only in their shadows: off, on
// (the default: every policy at capacities 1..10), and on at the largest range (1..64). Rounds
// interleaved, medians printed: the throughput, and the proxy's CPU time per request (from
// /proc), which a machine shared with other work disturbs less than the throughput.
'use strict';
const { join } = require('node:path');
const os = require('node:os');
const { entries, ensureBuilt, root } = require('../scripts/run');
const { seconds, rounds, start, bench, cpuSeconds, median, fmt, runScript } = require('./harness');

async function main() {
  ensureBuilt();
  const server = await start(
    join(root, entries.server),
    ['--in-memory', '--port', '0', '--admin-port', '0'],
    'server',
  );
  const proxy = (name, ...flags) =>
    start(
      join(root, entries.proxy),
      ['--port', '0', '--admin-port', '0', '--upstream', `127.0.0.1:${server.port}`, ...flags],
      name,
    );
  const proxies = [
    ['shadows off', await proxy('shadows off', '--shadows', 'off')],
    ['shadows on (1..10)', await proxy('shadows on')],
    ['shadows on (1..64)', await proxy('shadows 1..64', '--shadow-max-capacity', '64')],
  ];
  const loads = [
    ['50 connections', ['-c', '50', '--keys', '5']],
    ['50 connections, pipeline 16', ['-c', '50', '--keys', '5', '-P', '16']],
  ];
  const samples = new Map();
  for (let round = 1; round <= rounds; round++) {
    for (const [load, flags] of loads) {
      for (const [name, app] of proxies) {
        process.stderr.write(`round ${round}/${rounds}: ${load}, ${name} (${seconds} s)\n`);
        const cpuBefore = cpuSeconds(app.child.pid);
        const result = await bench(app.port, app.admin, flags);
        const cpuUs = ((cpuSeconds(app.child.pid) - cpuBefore) * 1e6) / result.requests;
        const key = `${load} | ${name}`;
        samples.set(key, [...(samples.get(key) ?? []), { ...result, cpuUs }]);
      }
    }
  }
  const out = [
    '| load | proxy | req/s (median) | req/s (min–max) | × shadows off | proxy CPU µs/request | × shadows off | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [load] of loads) {
    const off = samples.get(`${load} | ${proxies[0][0]}`);
    const baseThroughput = median(off.map((r) => r.throughput));
    const baseCpu = median(off.map((r) => r.cpuUs));
    for (const [name] of proxies) {
      const list = samples.get(`${load} | ${name}`);
      const throughput = median(list.map((r) => r.throughput));
      const cpuUs = median(list.map((r) => r.cpuUs));
      const all = list.map((r) => r.throughput);
      out.push(
        `| ${load} | ${name} | ${fmt(throughput)} | ${fmt(Math.min(...all))}–${fmt(Math.max(...all))} | ` +
          `${fmt(throughput / baseThroughput, 3)} | ${fmt(cpuUs, 2)} | ${fmt(cpuUs / baseCpu, 3)} | ` +
          `${fmt(median(list.map((r) => r.latencyMs.p50)), 3)} | ${fmt(median(list.map((r) => r.latencyMs.p99)), 3)} |`,
      );
    }
  }
  out.push(
    '',
    `machine: ${os.cpus().length} x ${os.cpus()[0].model}, Node ${process.version}, load average ` +
      `${os
        .loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}; ${rounds} interleaved rounds of ${seconds} s, medians`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

runScript(main);
