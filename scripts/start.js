#!/usr/bin/env node
// `npm start [-- SERVER FLAGS]`: builds if needed, then runs the server (with those flags) and
// the proxy on the default ports, and prints where everything is. Ctrl-C stops both (gracefully).
'use strict';
const { spawn } = require('node:child_process');
const { createInterface } = require('node:readline');
const { join } = require('node:path');
const { entries, ensureBuilt, root } = require('./run');

ensureBuilt();
const children = [];
let stopping = false;

function start(name, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, entries[name]), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`[${name}] ${line}\n`);
      if (line.startsWith(`semicache ${name} ready `)) resolve(line);
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`${name} exited (${signal ?? code}); stopping\n`);
        stop(1);
      }
      reject(new Error(`${name} exited`));
    });
  });
}

function stop(status) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? null
        : new Promise((r) => child.on('exit', r)),
    ),
  ).then(() => process.exit(status));
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

(async () => {
  const server = await start('server', process.argv.slice(2));
  const upstream = /protocol=(\S+)/.exec(server)[1];
  const proxy = await start('proxy', ['--upstream', upstream]);
  const where = (line) => {
    const [, protocol, admin] = /protocol=(\S+) admin=(\S+)/.exec(line);
    return { protocol: protocol.padEnd(16), admin };
  };
  const p = where(proxy);
  const s = where(server);
  process.stdout.write(
    [
      '',
      'semicache is running:',
      `  proxy    ${p.protocol}  (clients talk here)   admin ${p.admin}  (/health /cache /stats /metrics)`,
      `  server   ${s.protocol}                        admin ${s.admin}  (/health /table /metrics)`,
      'Try:  npm run cli -- put 1=10 2=20   |   npm run cli -- get 1 2   |   npm run cli -- inspect',
      'Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
})().catch(() => undefined);
