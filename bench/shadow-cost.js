#!/usr/bin/env node
// `npm run bench:shadows` (BENCH_SECONDS, BENCH_ROUNDS): what the shadow caches cost the proxy's
// hit path. The same loads (50 connections, all hits on 5 keys; then 16 requests in flight per
// connection) against proxies in front of one server that differ only in their shadows: off, on
// (the default: every policy at capacities 1..10), and on at the largest range (1..64). Rounds
// interleaved, medians printed: the throughput, and the proxy's CPU time per request (from
// /proc), which a machine shared with other work disturbs less than the throughput.
'use strict';
const { join } = require('node:path');
const { entries, ensureBuilt, root } = require('../scripts/run');
const { compareProxies, runScript, start } = require('./harness');

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
  const { table, machine } = await compareProxies(proxies);
  const out = [...table, '', machine];
  process.stdout.write(out.join('\n') + '\n');
}

runScript(main);
