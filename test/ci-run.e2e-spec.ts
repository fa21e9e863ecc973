// .ci/run prepares the machine and runs the tests; it must not touch what else runs there.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './support/proc';
import { ROOT, waitFor } from './support/processes';
import { makeTempDir, removeTempDirs } from './support/temp-dirs';

const stray = new Set<number>();

afterAll(() => {
  for (const pid of stray) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  removeTempDirs();
});

/** An executable script in `dir` that appends its name and arguments to `dir`/calls. */
function recorder(dir: string, name: string, status: number): void {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${join(dir, 'calls')}"\nexit ${status}\n`);
  chmodSync(path, 0o755);
}

it('leaves a Prometheus that someone else runs on the machine alone', async () => {
  // A machine where prometheus and promtool are installed (so nothing is installed) and some
  // Prometheus is running: a process really named `prometheus` (a copy of sleep). npm, and the
  // tools a script could stop processes with, only record how they are called.
  const bin = makeTempDir('semicache-ci-');
  const sleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();
  copyFileSync(sleep, join(bin, 'prometheus'));
  chmodSync(join(bin, 'prometheus'), 0o755);
  recorder(bin, 'promtool', 0);
  recorder(bin, 'npm', 0);
  for (const tool of ['systemctl', 'service', 'pkill', 'killall', 'kill']) recorder(bin, tool, 1);
  const prometheus = spawn(join(bin, 'prometheus'), ['600'], { stdio: 'ignore' });
  stray.add(prometheus.pid!);
  await waitFor('the stand-in prometheus to run', () =>
    readFileSync(`/proc/${prometheus.pid}/comm`, 'utf8').trim() === 'prometheus' ? true : undefined,
  );

  const run = spawnSync('bash', [join(ROOT, '.ci/run')], {
    env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` },
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const calls = readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n');
  expect(calls).toEqual(['npm ci --no-audit --no-fund', 'npm test']);
  expect(isAlive(prometheus.pid!)).toBe(true);
});
