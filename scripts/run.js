#!/usr/bin/env node
// Runs a built app (server, proxy or cli), building first when dist is missing or older than
// the sources. Used by `npm run server|proxy|cli -- ARGS`. Stopping this wrapper stops the app:
// SIGINT, SIGTERM and SIGHUP are passed on, and it exits as the app did.
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const { readdirSync, statSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { bin } = require('../package.json');

const root = join(__dirname, '..');
/** The built entry points: the package's `bin`, the one place they are written. */
const entries = {
  server: bin['semicache-server'],
  proxy: bin['semicache-proxy'],
  cli: bin.semicache,
};
/** The signals a wrapper passes on to its app(s). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // Test helpers are not part of the apps: editing one must not rebuild them.
    if (entry.isDirectory()) {
      if (entry.name !== 'test') newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds every app unless all entries exist and are newer than every source file. */
function ensureBuilt() {
  const sources = Math.max(newestSource(join(root, 'apps')), newestSource(join(root, 'libs')));
  const fresh = Object.values(entries).every(
    (entry) => existsSync(join(root, entry)) && statSync(join(root, entry)).mtimeMs >= sources,
  );
  if (fresh) return;
  process.stderr.write('building semicache (npm run build)...\n');
  const build = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/** Starts built app `name` with `args` (a child of this process; `stdio` as for spawn). */
function spawnApp(name, args, stdio) {
  return spawn(process.execPath, [join(root, entries[name]), ...args], { stdio });
}

/** Ends this process as `child` ended: with its exit code, or killed by the same signal. */
function exitLike(code, signal) {
  if (signal === null) process.exit(code ?? 1);
  for (const stop of STOP_SIGNALS) process.removeAllListeners(stop);
  process.kill(process.pid, signal);
}

module.exports = { entries, ensureBuilt, root, spawnApp, exitLike, STOP_SIGNALS };

if (require.main === module) {
  const [app, ...args] = process.argv.slice(2);
  if (!entries[app]) {
    process.stderr.write(`usage: node scripts/run.js server|proxy|cli [ARGS]\n`);
    process.exit(2);
  }
  ensureBuilt();
  const child = spawnApp(app, args, 'inherit');
  for (const signal of STOP_SIGNALS) process.on(signal, () => child.kill(signal));
  child.on('exit', exitLike);
}
