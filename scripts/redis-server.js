// Starts a real redis-server (Debian's `redis-server` package) for the tests and `npm run
// cluster`: on one port, on loopback, its data in one directory, in the foreground as a child of
// this process, and resolves once it accepts connections.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { createInterface } = require('node:readline');

const INSTALL_HINT =
  'redis-server is not installed (or not on PATH).\n' +
  'Debian/Ubuntu: sudo apt-get install -y --no-install-recommends redis-server\n' +
  '  (the package also starts a system Redis on 127.0.0.1:6379; semicache does not use it:\n' +
  '  sudo systemctl disable --now redis-server if you do not want it)';

/** Whether `redis-server` can be run. */
function redisServerInstalled() {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return found.error === undefined && found.status === 0;
}

/**
 * Starts redis-server on 127.0.0.1:`port` with its data in `dir`. `appendfsync` 'always' (the
 * default: every acknowledged write is on disk before the reply), 'everysec' or 'no' turns the
 * append-only file on; 'off' runs without persistence. Resolves with the child once it is ready;
 * rejects (and kills it) if it exits first or is not ready within `timeoutMs`.
 */
function startRedisServer({ port, dir, appendfsync = 'always', timeoutMs = 20000, onOutput }) {
  const persistence =
    appendfsync === 'off'
      ? ['--appendonly', 'no']
      : ['--appendonly', 'yes', '--appendfsync', appendfsync];
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      ...persistence,
      '--daemonize',
      'no',
      '--logfile',
      '',
      '--loglevel',
      'notice',
    ],
    // Its own process group: Ctrl-C at a terminal reaches the wrapper, which stops Redis after
    // the apps that need it.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  let ready = false;
  const record = (line) => {
    // What it said while starting, for the error if it does not start; then only `onOutput`.
    if (!ready) output += `${line}\n`;
    if (onOutput !== undefined) onOutput(line);
  };
  createInterface({ input: child.stderr }).on('line', record);
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server was not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${output}`));
    });
    lines.on('line', (line) => {
      record(line);
      if (!ready && /Ready to accept connections/.test(line)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

module.exports = { INSTALL_HINT, redisServerInstalled, startRedisServer };
