#!/usr/bin/env node
// `npm run observe [-- --port 9090]`: runs a Prometheus on loopback that scrapes a running
// semicache (`npm start`: proxy admin 127.0.0.1:9001, server admin 127.0.0.1:9002) with
// grafana/prometheus.yml, its data in a temporary directory removed on exit, and prints how to
// point a Grafana at it. Ctrl-C stops it. See docs/observability.md.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const root = join(__dirname, '..');
const config = join(root, 'grafana', 'prometheus.yml');
const provisioning = join(root, 'grafana', 'provisioning');
const dashboards = join(root, 'grafana', 'dashboards');

function usage(status) {
  process.stdout.write(
    'usage: npm run observe [-- --port PORT]\n' +
      '  Runs Prometheus on 127.0.0.1:PORT (default 9090) scraping semicache on its default admin ports.\n' +
      '  Start semicache first (npm start); stop with Ctrl-C.\n',
  );
  process.exit(status);
}

let port = 9090;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--help' || args[i] === '-h') usage(0);
  else if (args[i] === '--port' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) < 65536)
    port = Number(args[++i]);
  else {
    process.stderr.write(`unknown or incomplete argument: ${args[i]}\n`);
    usage(2);
  }
}

const found = spawnSync('prometheus', ['--version'], { stdio: 'ignore' });
if (found.error !== undefined || found.status !== 0) {
  process.stderr.write(
    'prometheus is not installed (or not on PATH).\n' +
      'Debian/Ubuntu: sudo apt-get install -y --no-install-recommends prometheus\n' +
      '  then stop the system Prometheus it starts on :9090: sudo systemctl stop prometheus\n' +
      'Or download it from https://prometheus.io/download/ and put it on PATH.\n',
  );
  process.exit(1);
}

const data = mkdtempSync(join(tmpdir(), 'semicache-prometheus-'));
const url = `http://127.0.0.1:${port}`;
const child = spawn(
  'prometheus',
  [
    `--config.file=${config}`,
    `--storage.tsdb.path=${data}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);

let stopping = false;
function stop(signal) {
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('exit', (code, signal) => {
  rmSync(data, { recursive: true, force: true });
  if (!stopping) {
    process.stderr.write(
      `prometheus exited (${code ?? signal}). Is something else listening on 127.0.0.1:${port}? ` +
        '(a system Prometheus: sudo systemctl stop prometheus; or use --port)\n',
    );
    process.exit(1);
  }
  process.exit(0);
});

async function reachable(target) {
  try {
    return (await fetch(target, { signal: AbortSignal.timeout(1000) })).status < 500;
  } catch {
    return false;
  }
}

(async () => {
  const deadline = Date.now() + 30_000;
  while (!(await reachable(`${url}/-/ready`))) {
    if (stopping || child.exitCode !== null) return;
    if (Date.now() > deadline) {
      process.stderr.write(`prometheus did not become ready on ${url} within 30 s\n`);
      stop('SIGTERM');
      return;
    }
    await sleep(200);
  }
  const apps = [];
  for (const [name, admin] of [
    ['proxy', 'http://127.0.0.1:9001'],
    ['server', 'http://127.0.0.1:9002'],
  ]) {
    if (!(await reachable(`${admin}/metrics`))) apps.push(`${name} (${admin})`);
  }
  process.stdout.write(
    [
      '',
      `Prometheus is running on ${url}  (targets: ${url}/targets), scraping every 5 s:`,
      '  semicache-proxy  127.0.0.1:9001/metrics',
      '  semicache-server 127.0.0.1:9002/metrics',
      apps.length > 0
        ? `  Not answering yet: ${apps.join(', ')}. Start semicache with "npm start" in another terminal.`
        : '',
      '',
      'Point a Grafana at it with the provisioning files (datasource uid semicache-prometheus at',
      'http://127.0.0.1:9090, and the dashboards "semicache / Cache" and "semicache / Server"):',
      `  SEMICACHE_DASHBOARDS=${dashboards} \\`,
      `  GF_PATHS_PROVISIONING=${provisioning} \\`,
      '  GF_PATHS_DATA=/tmp/semicache-grafana GF_PATHS_LOGS=/tmp/semicache-grafana/log \\',
      '  GF_PATHS_PLUGINS=/tmp/semicache-grafana/plugins \\',
      '  grafana server --homepath /usr/share/grafana',
      '(grafana-server on older Grafanas; a systemd Grafana or Docker: see docs/observability.md),',
      'then open http://127.0.0.1:3000 (admin/admin on a fresh Grafana) > Dashboards > semicache.',
      port === 9090
        ? ''
        : `(Prometheus is on port ${port}: change the url in grafana/provisioning/datasources/prometheus.yaml.)`,
      'Ctrl-C stops Prometheus and removes its data.',
      '',
    ]
      .filter((line, i, lines) => line !== '' || lines[i - 1] !== '')
      .join('\n') + '\n',
  );
})();
