// Preloaded into an app under test (`NODE_OPTIONS=--require …/fs-probe.js`, see `fsProbe` in
// processes.ts) to observe or slow its file-system calls without changing what they do:
//   SEMICACHE_PROBE_SYNC_LOG=FILE      after every successful fsync through fs/promises, appends
//                                      the synced path (as opened) to FILE, one a line
//   SEMICACHE_PROBE_SLOW_REMOVE_MS=N   every file removal (rm, unlink) waits N ms first, as on
//                                      a loaded disk: it widens the windows a race needs
'use strict';
const { appendFileSync } = require('node:fs');
const promises = require('node:fs/promises');
const { resolve } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const syncLog = process.env.SEMICACHE_PROBE_SYNC_LOG;
if (syncLog) {
  const open = promises.open;
  promises.open = async (path, ...rest) => {
    const handle = await open(path, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      await sync();
      appendFileSync(syncLog, `${resolve(String(path))}\n`);
    };
    return handle;
  };
}

const slowRemoveMs = Number(process.env.SEMICACHE_PROBE_SLOW_REMOVE_MS ?? 0);
if (slowRemoveMs > 0) {
  for (const name of ['rm', 'unlink']) {
    const remove = promises[name];
    promises[name] = async (...args) => {
      await sleep(slowRemoveMs);
      return remove(...args);
    };
  }
}
