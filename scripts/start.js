#!/usr/bin/env node
// `npm start [-- FLAGS]`: builds if needed, then runs the server and, in front of it, the proxy on
// the default ports, and prints where everything is. FLAGS go to the server, except those written
// `--proxy-NAME [VALUE]`, which go to the proxy as `--NAME [VALUE]`. Ctrl-C, SIGTERM or SIGHUP stops
// both, gracefully; it exits 0 if both stopped cleanly, else with the status of the first that
// did not.
'use strict';
const { ensureBuilt } = require('./run');
const { Supervisor } = require('./supervisor');

const USAGE = `usage: npm start [-- [SERVER FLAGS] [--proxy-NAME [VALUE] ...]]
  Runs the server and, in front of it, the proxy (on their default ports unless told otherwise).
  Flags go to the server; --proxy-NAME goes to the proxy as --NAME, e.g.
    npm start -- --size 100 --in-memory --proxy-capacity 50 --proxy-eviction lru
  The proxy's --upstream is always this server. Environment variables work too
  (SEMICACHE_SERVER_*, SEMICACHE_PROXY_*). Every flag: npm run server -- --help,
  npm run proxy -- --help.
`;

/** Splits the flags: `--proxy-NAME [VALUE]` to the proxy as `--NAME [VALUE]`, the rest to the server. */
function splitFlags(args) {
  const server = [];
  const proxy = [];
  for (let i = 0; i < args.length; i++) {
    const name = /^--proxy-(.+)$/.exec(args[i])?.[1];
    if (name === undefined) {
      server.push(args[i]);
      continue;
    }
    proxy.push(`--${name}`);
    const takesNext = !name.includes('=') && i + 1 < args.length && !args[i + 1].startsWith('--');
    if (takesNext) proxy.push(args[++i]);
  }
  return { server, proxy };
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const flags = splitFlags(args);
if (flags.proxy.some((flag) => /^--upstream(=|$)/.test(flag))) {
  process.stderr.write(
    `npm start runs the proxy in front of its own server: --proxy-upstream cannot be set.\n` +
      `To put a proxy in front of another server: npm run proxy -- --upstream HOST:PORT\n\n${USAGE}`,
  );
  process.exit(2);
}

ensureBuilt();
const supervisor = new Supervisor();

(async () => {
  const server = await supervisor.start('server', flags.server);
  const upstream = /protocol=(\S+)/.exec(server)[1];
  const proxy = await supervisor.start('proxy', ['--upstream', upstream, ...flags.proxy]);
  const where = (line) => {
    const [, protocol, admin] = /protocol=(\S+) admin=(\S+)/.exec(line);
    return { protocol: protocol.padEnd(16), admin };
  };
  const p = where(proxy);
  const s = where(server);
  process.stdout.write(
    [
      '',
      'semicache is running:',
      `  proxy    ${p.protocol}  (clients talk here)   admin ${p.admin}  (the live page; /health /cache /stats /heat /policies /events /metrics)`,
      `  server   ${s.protocol}                        admin ${s.admin}  (the live page; /health /table /events /metrics)`,
      'Try:  npm run -s cli -- put 1=10 2=20   |   npm run -s cli -- get 1 2   |   npm run -s cli -- inspect   |   npm run -s cli -- watch',
      'Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
})().catch(() => undefined);
