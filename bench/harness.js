// What the benchmark scripts share: starting built apps (and waiting for their ready line),
// running `semicache bench --json` for BENCH_SECONDS, medians, and stopping what they started.
// With more than one CPU (and `taskset`), the measured processes run on CPU 0 and the load
// generator on CPU 1, so that neither takes the other's time (BENCH_PIN=0: no pinning).
'use strict';
const { spawn, spawnSync, execFile } = require('node:child_process');
const os = require('node:os');
const { createInterface } = require('node:readline');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { entries, root } = require('../scripts/run');

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const children = [];

const pinned =
  process.env.BENCH_PIN !== '0' &&
  os.availableParallelism() > 1 &&
  spawnSync('taskset', ['-c', '0', 'true']).status === 0;
/** Where each side runs: `app` (what is measured) and `load` (the load generator). */
const CPUS = { app: '0', load: '1' };

/** `[file, args]` that run `file args` on the role's CPU when pinning, else as they are. */
function command(role, file, args) {
  return pinned ? ['taskset', ['-c', CPUS[role], file, ...args]] : [file, args];
}

/** How the processes were placed, for the report. */
function placement() {
  return pinned
    ? `measured processes on CPU ${CPUS.app}, load generator on CPU ${CPUS.load} (taskset)`
    : 'not pinned: the load generator shares the CPUs with the measured processes';
}

/** Starts `node script ARGS`; resolves with its ports from the ready line. */
function start(script, args, name) {
  return new Promise((resolve, reject) => {
    const child = spawn(...command('app', process.execPath, [script, ...args]), {
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
    execFile(
      ...command('load', process.execPath, args),
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`bench ${flags.join(' ')} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout));
      },
    );
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

module.exports = {
  seconds,
  rounds,
  children,
  command,
  placement,
  start,
  bench,
  cpuSeconds,
  median,
  fmt,
  runScript,
};
