// Preloaded into an app under test (`NODE_OPTIONS=--require …/fs-probe.js`, see `fsProbe` in
// processes.ts) to observe or slow its file-system calls without changing what they do:
//   SEMICACHE_PROBE_LOG=FILE         appends what it sees to FILE, one event a line:
//                                    `sync PATH` after every successful fsync through
//                                    fs/promises, `wait CALL` when a slowed call starts waiting
//   SEMICACHE_PROBE_SLOW_CALLS=a,b   each of these fs/promises functions (rm, mkdir, …) waits
//   SEMICACHE_PROBE_SLOW_MS=N        N ms before it runs, as on a loaded disk: it widens the
//                                    windows a race needs, or holds a start at one step
'use strict';
const { appendFileSync } = require('node:fs');
const promises = require('node:fs/promises');
const { resolve } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const log = process.env.SEMICACHE_PROBE_LOG;
const record = (event) => {
  if (log) appendFileSync(log, `${event}\n`);
};

const open = promises.open;
promises.open = async (path, ...rest) => {
  const handle = await open(path, ...rest);
  const sync = handle.sync.bind(handle);
  handle.sync = async () => {
    await sync();
    record(`sync ${resolve(String(path))}`);
  };
  return handle;
};

const slowMs = Number(process.env.SEMICACHE_PROBE_SLOW_MS ?? 0);
for (const name of (process.env.SEMICACHE_PROBE_SLOW_CALLS ?? '').split(',').filter(Boolean)) {
  const call = promises[name];
  promises[name] = async (...args) => {
    record(`wait ${name}`);
    await sleep(slowMs);
    return call(...args);
  };
}
