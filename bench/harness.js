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

/** The hit-path loads the cost scripts compare proxies on: all hits on 5 keys. */
const HIT_LOADS = [
  ['50 connections', ['-c', '50', '--keys', '5']],
  ['50 connections, pipeline 16', ['-c', '50', '--keys', '5', '-P', '16']],
];

/**
 * Runs each load against each proxy (`[name, app]`, the first the baseline) in BENCH_ROUNDS
 * interleaved rounds, reading each proxy's CPU time around each run; resolves with a Markdown
 * table of medians (throughput and CPU µs per request, each also relative to the baseline) and
 * a line that says the machine and its load.
 */
async function compareProxies(proxies, loads = HIT_LOADS) {
  const samples = new Map();
  // Round 0 warms every proxy up (the JIT) and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const [load, flags] of loads) {
      for (const [name, app] of proxies) {
        const label = round === 0 ? 'warm-up' : `round ${round}/${rounds}`;
        process.stderr.write(`${label}: ${load}, ${name} (${seconds} s)\n`);
        const cpuBefore = cpuSeconds(app.child.pid);
        const result = await bench(app.port, app.admin, flags);
        const cpuUs = ((cpuSeconds(app.child.pid) - cpuBefore) * 1e6) / result.requests;
        const key = `${load} | ${name}`;
        if (round > 0) samples.set(key, [...(samples.get(key) ?? []), { ...result, cpuUs }]);
      }
    }
  }
  const baseline = `× ${proxies[0][0]}`;
  const out = [
    `| load | proxy | req/s (median) | req/s (min–max) | ${baseline} | proxy CPU µs/request | ${baseline} | p50 ms | p99 ms |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [load] of loads) {
    const base = samples.get(`${load} | ${proxies[0][0]}`);
    const baseThroughput = median(base.map((r) => r.throughput));
    const baseCpu = median(base.map((r) => r.cpuUs));
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
  const load = os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
  const machine =
    `machine: ${os.cpus().length} x ${os.cpus()[0].model}, Node ${process.version}, ` +
    `load average ${load}; ${rounds} interleaved rounds of ${seconds} s after a warm-up round, medians; ${placement()}`;
  return { table: out, machine };
}

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
  compareProxies,
};
