#!/usr/bin/env node
// Runs a built app (server, proxy or cli), building first when dist is missing or older than
// the sources. Used by `npm run server|proxy|cli -- ARGS`.
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const { readdirSync, statSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entries = {
  server: 'dist/apps/server/apps/server/src/main.js',
  proxy: 'dist/apps/proxy/apps/proxy/src/main.js',
  cli: 'dist/apps/client-cli/apps/client-cli/src/main.js',
};

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('spec.ts'))
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

module.exports = { entries, ensureBuilt, root };

if (require.main === module) {
  const [app, ...args] = process.argv.slice(2);
  if (!entries[app]) {
    process.stderr.write(`usage: node scripts/run.js server|proxy|cli [ARGS]\n`);
    process.exit(2);
  }
  ensureBuilt();
  const child = spawn(process.execPath, [join(root, entries[app]), ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
