// What the benchmark scripts share: starting built apps (and waiting for their ready line),
// running `semicache bench --json` for BENCH_SECONDS, medians, and stopping what they started.
'use strict';
const { spawn, execFile } = require('node:child_process');
const { createInterface } = require('node:readline');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { entries, root } = require('../scripts/run');

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const children = [];

/** Starts `node script ARGS`; resolves with its ports from the ready line. */
function start(script, args, name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ready = /ready protocol=\S+:(\d+)(?: admin=(\S+))?/.exec(line);
      if (ready) resolve({ child, port: Number(ready[1]), admin: ready[2] });
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

/** One `semicache bench` run of BENCH_SECONDS against `port`; resolves with its JSON result. */
function bench(port, proxyAdmin, flags) {
  const args = [
    join(root, entries.cli),
    '--json',
    '--port',
    String(port),
    '--proxy-admin',
    proxyAdmin ?? 'http://127.0.0.1:1',
    'bench',
    '-d',
    String(seconds),
    ...flags,
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bench ${flags.join(' ')} failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** CPU time (user + system) a process has used, in seconds, from /proc (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the line, in clock ticks (100 a second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const fmt = (n, d = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** Runs `main`, reports a failure on stderr, and stops every process it started. */
function runScript(main) {
  main()
    .catch((error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    })
    .finally(() => {
      for (const child of children) child.kill('SIGTERM');
    });
}

module.exports = { seconds, rounds, children, start, bench, cpuSeconds, median, fmt, runScript };
