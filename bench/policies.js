#!/usr/bin/env node
// `npm run bench:policies` (BENCH_REQUESTS, BENCH_ROUNDS): what the shadow bank costs per
// request, with every policy shadowed at capacities 1..10 (60 shadows) and 1..64 (384), on live
// streams made as the proxy makes them. Prints the median of the rounds. Builds first if needed.
'use strict';
const { join } = require('node:path');
const os = require('node:os');
const { ensureBuilt, root } = require('../scripts/run');

const requests = Number(process.env.BENCH_REQUESTS ?? 500_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const LOOKUP_HIT = 0;
const LOOKUP_MISS = 1;
const FILL = 2;
const WRITE = 3;

/**
 * The operations a live cache (FIFO, 5 entries, as the proxy by default) hands the bank for
 * `requests` single-index requests: a lookup with the live answer, the fill of each miss right
 * after it, and writes.
 */
function liveStream(library, workload, { keys, distribution, skew = 1, writes = 0 }) {
  const random = workload.seededRandom(1);
  const pick = workload.keyPicker(distribution, keys, skew, random);
  const live = new library.KeyCache('fifo', 5);
  const kinds = [];
  const indices = [];
  for (let i = 0; i < requests; i++) {
    const key = pick();
    if (random() < writes) {
      live.write(key);
      kinds.push(WRITE);
      indices.push(key);
    } else if (live.lookup(key)) {
      kinds.push(LOOKUP_HIT);
      indices.push(key);
    } else {
      live.fill(key);
      kinds.push(LOOKUP_MISS, FILL);
      indices.push(key, key);
    }
  }
  return {
    kinds: Uint8Array.from(kinds),
    keys: Int32Array.from(indices),
    hitRatio: live.result().hitRatio,
  };
}

function feed(bank, { kinds, keys }) {
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i];
    if (kind === FILL) bank.fill(keys[i]);
    else if (kind === WRITE) bank.write(keys[i]);
    else bank.lookup(keys[i], kind === LOOKUP_HIT);
  }
}

/**
 * Median nanoseconds of CPU per request over the rounds, each on a fresh bank. CPU time, not
 * wall time: on a shared machine the process is often waiting for a core.
 */
function measure(library, stream, maxCapacity) {
  feed(new library.ShadowBank({ maxCapacity }), stream); // warm-up: let the JIT settle
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const bank = new library.ShadowBank({ maxCapacity });
    const started = process.cpuUsage();
    feed(bank, stream);
    bank.flush();
    const used = process.cpuUsage(started);
    samples.push(((used.user + used.system) * 1000) / requests);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

function main() {
  ensureBuilt();
  const library = require(join(root, 'dist/apps/proxy/libs/policies/src'));
  const workload = {
    ...require(join(root, 'dist/apps/client-cli/apps/client-cli/src/bench/workload')),
    seededRandom: require(join(root, 'dist/apps/client-cli/libs/client/src')).seededRandom,
  };
  const workloads = {
    'all hits (5 keys)': { keys: 5, distribution: 'uniform' },
    'zipf 1.0, 100 keys, 10% writes': { keys: 100, distribution: 'zipf', writes: 0.1 },
    'uniform, 1,000 keys': { keys: 1000, distribution: 'uniform' },
  };
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `${os.cpus()[0].model}, ${os.cpus().length} cores (load ${load}), Node ${process.version}`,
  );
  console.log(`${requests.toLocaleString('en-US')} requests, median of ${rounds} rounds`);
  for (const [name, options] of Object.entries(workloads)) {
    const stream = liveStream(library, workload, options);
    const perShadow = [10, 64].map((maxCapacity) => {
      const nanoseconds = measure(library, stream, maxCapacity);
      const shadows = library.EVICTION_POLICIES.length * maxCapacity;
      return `K=${maxCapacity}: ${nanoseconds.toFixed(0)} ns/request (${(nanoseconds / shadows).toFixed(1)} ns per shadow)`;
    });
    const live = `live hit ratio ${(stream.hitRatio * 100).toFixed(1)}%`;
    console.log(`${name.padEnd(32)} ${live.padEnd(24)} ${perShadow.join('   ')}`);
  }
}

main();
