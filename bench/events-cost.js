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
const { entries, ensureBuilt, root } = require('../scripts/run');
const { children, compareProxies, fmt, runScript, start } = require('./harness');

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
  const { table, machine } = await compareProxies(proxies);
  const seen = await (await fetch(`${watched.admin}/events/recent?limit=1`)).json();
  const out = [
    ...table,
    '',
    `events recorded by the watched proxy: ${fmt(seen.nextSeq - 1)}; ${machine}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

runScript(main);
