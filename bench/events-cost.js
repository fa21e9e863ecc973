#!/usr/bin/env node
// `node bench/events-cost.js OTHER_CHECKOUT` (BENCH_SECONDS, BENCH_ROUNDS): what recording the
// decision events costs the proxy's hit path. The same loads (50 connections, all hits on 5 keys;
// then 16 requests in flight per connection) against three proxies in front of one server: the
// proxy of OTHER_CHECKOUT (a built checkout without events, e.g. the commit before them), this
// checkout's with nobody listening, and this checkout's with one subscriber reading every event
// (`semicache watch --json`, its output thrown away). Rounds interleaved, medians printed: the
// throughput, and the proxy's CPU time per request (from /proc), which a machine shared with
// other work disturbs less than the throughput.
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const os = require('node:os');
const { entries, ensureBuilt, root } = require('../scripts/run');
const {
  seconds,
  rounds,
  children,
  start,
  bench,
  cpuSeconds,
  median,
  fmt,
  runScript,
} = require('./harness');

async function main() {
  const other = process.argv[2];
  if (other === undefined) throw new Error('usage: node bench/events-cost.js OTHER_CHECKOUT');
  ensureBuilt();
  const server = await start(
    join(root, entries.server),
    ['--in-memory', '--port', '0', '--admin-port', '0'],
    'server',
  );
  const proxyOf = (checkout, name) =>
    start(
      join(checkout, entries.proxy),
      ['--port', '0', '--admin-port', '0', '--upstream', `127.0.0.1:${server.port}`],
      name,
    );
  const withoutEvents = await proxyOf(other, 'proxy without events');
  const unwatched = await proxyOf(root, 'proxy, nobody listening');
  const watched = await proxyOf(root, 'proxy, one subscriber');
  const subscriber = spawn(
    process.execPath,
    [join(root, entries.cli), '--proxy-admin', watched.admin, '--json', 'watch'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(subscriber);

  const proxies = [
    ['without events', withoutEvents],
    ['events, nobody listening', unwatched],
    ['events, one subscriber', watched],
  ];
  const loads = [
    ['50 connections', ['-c', '50', '--keys', '5']],
    ['50 connections, pipeline 16', ['-c', '50', '--keys', '5', '-P', '16']],
  ];
  const samples = new Map();
  for (let round = 1; round <= rounds; round++) {
    for (const [load, flags] of loads) {
      for (const [name, proxy] of proxies) {
        process.stderr.write(`round ${round}/${rounds}: ${load}, ${name} (${seconds} s)\n`);
        const key = `${load} | ${name}`;
        const cpuBefore = cpuSeconds(proxy.child.pid);
        const result = await bench(proxy.port, proxy.admin, flags);
        const cpuUs = ((cpuSeconds(proxy.child.pid) - cpuBefore) * 1e6) / result.requests;
        samples.set(key, [...(samples.get(key) ?? []), { ...result, cpuUs }]);
      }
    }
  }
  const out = [
    '| load | proxy | req/s (median) | req/s (min–max) | × without events | proxy CPU µs/request | × without events | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [load] of loads) {
    const baseline = samples.get(`${load} | ${proxies[0][0]}`);
    const base = median(baseline.map((r) => r.throughput));
    const baseCpu = median(baseline.map((r) => r.cpuUs));
    for (const [name] of proxies) {
      const list = samples.get(`${load} | ${name}`);
      const throughput = median(list.map((r) => r.throughput));
      const cpuUs = median(list.map((r) => r.cpuUs));
      const all = list.map((r) => r.throughput);
      out.push(
        `| ${load} | ${name} | ${fmt(throughput)} | ${fmt(Math.min(...all))}–${fmt(Math.max(...all))} | ` +
          `${fmt(throughput / base, 3)} | ${fmt(cpuUs, 2)} | ${fmt(cpuUs / baseCpu, 3)} | ` +
          `${fmt(median(list.map((r) => r.latencyMs.p50)), 3)} | ${fmt(median(list.map((r) => r.latencyMs.p99)), 3)} |`,
      );
    }
  }
  const seen = await (await fetch(`${watched.admin}/events/recent?limit=1`)).json();
  out.push(
    '',
    `events recorded by the watched proxy: ${fmt(seen.nextSeq - 1)}; ` +
      `machine: ${os.cpus().length} x ${os.cpus()[0].model}, Node ${process.version}, load average ${os
        .loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}; ${rounds} interleaved rounds of ${seconds} s, medians`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

runScript(main);
