#!/usr/bin/env node
// `npm run cluster [-- FLAGS]`: a local Redis, two servers sharing the table in it, and three
// proxies in front of both, kept coherent by invalidations; prints every address. Ctrl-C,
// SIGTERM or SIGHUP stops everything (the apps first, then Redis). See docs/scale-out.md.
'use strict';
const { mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { INSTALL_HINT, redisServerInstalled, startRedisServer } = require('./redis-server');
const { ensureBuilt } = require('./run');
const { Supervisor } = require('./supervisor');

const USAGE = `usage: npm run cluster [-- [--data-dir DIR] [--any-ports]]
  Starts redis-server on a free port of 127.0.0.1 (append-only file, fsync always), two servers
  on it (--store redis --invalidation) and three proxies in front of both (--upstream, each
  preferring one server, and --invalidation), and prints every address. Ctrl-C stops everything.
  --data-dir DIR  keep Redis's data in DIR (default: a temporary directory, removed on exit)
  --any-ports     put the apps on free ports too (default: proxies 6001, 6011, 6021 with admin
                  9001, 9011, 9021; servers 6002, 6012 with admin 9002, 9012, the ports
                  grafana/prometheus.yml scrapes)
  Needs Debian's redis-server: sudo apt-get install -y --no-install-recommends redis-server
`;

const SERVERS = [
  { port: 6002, admin: 9002 },
  { port: 6012, admin: 9012 },
];
const PROXIES = [
  { port: 6001, admin: 9001 },
  { port: 6011, admin: 9011 },
  { port: 6021, admin: 9021 },
];

function parseArgs(args) {
  const options = { dataDir: undefined, anyPorts: false };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--help' || args[i] === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (args[i] === '--any-ports') options.anyPorts = true;
    else if (args[i] === '--data-dir' && args[i + 1] !== undefined) options.dataDir = args[++i];
    else {
      process.stderr.write(`unknown or incomplete argument: ${args[i]}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

const options = parseArgs(process.argv.slice(2));
if (!redisServerInstalled()) {
  process.stderr.write(`${INSTALL_HINT}\n`);
  process.exit(1);
}
ensureBuilt();

const temporary = options.dataDir === undefined;
const dataDir = temporary
  ? mkdtempSync(join(tmpdir(), 'semicache-cluster-'))
  : resolve(options.dataDir);
mkdirSync(dataDir, { recursive: true });
const supervisor = new Supervisor({
  onExit: () => {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  },
});
const ports = (fixed) =>
  options.anyPorts
    ? ['--port', '0', '--admin-port', '0']
    : ['--port', String(fixed.port), '--admin-port', String(fixed.admin)];
const where = (line) => /protocol=(\S+) admin=(\S+)/.exec(line).slice(1);

(async () => {
  const redisPort = await freePort();
  let redis;
  try {
    redis = await startRedisServer({ port: redisPort, dir: dataDir, appendfsync: 'always' });
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    supervisor.stop();
    return;
  }
  supervisor.helper(redis, 'redis-server');
  const url = `redis://127.0.0.1:${redisPort}/0`;
  const servers = await Promise.all(
    SERVERS.map((fixed, n) =>
      supervisor.start(
        'server',
        ['--store', 'redis', '--redis-url', url, '--invalidation', url, ...ports(fixed)],
        `server-${n + 1}`,
      ),
    ),
  );
  const upstreams = servers.map((line) => where(line)[0]);
  const proxies = await Promise.all(
    PROXIES.map((fixed, n) => {
      // Each proxy prefers a server in turn, so both serve; either takes over for the other.
      const order = [...upstreams.slice(n % 2), ...upstreams.slice(0, n % 2)];
      return supervisor.start(
        'proxy',
        ['--upstream', order.join(','), '--invalidation', url, ...ports(fixed)],
        `proxy-${n + 1}`,
      );
    }),
  );
  const rows = [
    ...proxies.map((line, n) => [`proxy-${n + 1}`, ...where(line), '(clients talk here)']),
    ...servers.map((line, n) => [`server-${n + 1}`, ...where(line), '']),
  ];
  process.stdout.write(
    [
      '',
      'semicache cluster is running:',
      ...rows.map(
        ([name, protocol, admin, note]) =>
          `  ${name.padEnd(9)} ${protocol.padEnd(16)} admin ${admin.padEnd(24)} ${note}`,
      ),
      `  redis     ${url}  (data in ${dataDir}${temporary ? ', removed on exit' : ''})`,
      `Try:  npm run cli -- --port ${where(proxies[0])[0].split(':').pop()} put 1=10   |   npm run cli -- --port ${where(proxies[1])[0].split(':').pop()} get 1`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
})().catch(() => undefined);
