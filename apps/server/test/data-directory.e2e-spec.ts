// The data directory itself: a new one is durable however deep it is created, and one server at a
// time uses it, through a lock the kernel releases with the process that holds it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  ENTRY,
  type RunningApp,
  fsProbe,
  startApp,
  stopAll,
  waitFor,
} from '../../../test/support/processes';
import { processState } from '../../../test/support/proc';
import { runToExit } from '../../../test/support/run-to-exit';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

afterEach(() => stopAll());
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe('a new --data-dir', () => {
  it('makes every directory it creates durable: the parent of the top-most one, and each level', async () => {
    // The server fsyncs a directory to make the entries in it durable. The probe preloaded into
    // the real server records every path it fsyncs; none of a/, a/b/, a/b/c/ exists before.
    const base = makeTempDir();
    const log = join(makeTempDir(), 'probe.log');
    const dataDir = join(base, 'a', 'b', 'c');
    await startApp('server', ['--data-dir', dataDir], { env: fsProbe({ log }) });
    const synced = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('sync '))
      .map((line) => line.slice('sync '.length));
    // base holds the entry of a, a that of b, b that of c, and c those of the table's files.
    for (const dir of [base, join(base, 'a'), join(base, 'a', 'b'), dataDir]) {
      expect(synced).toContain(dir);
    }
  });
});

describe('one server per data directory', () => {
  function startExpectingRefusal(dataDir: string) {
    return runToExit('server', ['--port', '0', '--admin-port', '0', '--data-dir', dataDir]);
  }

  it('refuses a second server while the first runs, naming its pid, which the lock file holds', async () => {
    const dataDir = makeTempDir();
    const first = await startApp('server', ['--data-dir', dataDir]);
    expect(readFileSync(join(dataDir, 'server.pid'), 'utf8')).toBe(`${first.child.pid}\n`);
    const second = await startExpectingRefusal(dataDir);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`in use by another semicache server (pid ${first.child.pid}`);
    expect(second.stderr).toContain(join(dataDir, 'server.pid'));
    // The refused start left the lock and its pid alone.
    expect(readFileSync(join(dataDir, 'server.pid'), 'utf8')).toBe(`${first.child.pid}\n`);
    expect(await first.stop('SIGTERM')).toBe(0);
  });

  it('lets exactly one of several servers started at once on the lock of a killed server run', async () => {
    const dataDir = makeTempDir();
    const killed = await startApp('server', ['--data-dir', dataDir]);
    expect(await killed.stop('SIGKILL')).toBeNull();
    // A lock that is a pid file is taken over by removing it and creating it anew: two starters
    // that both read the dead pid can each remove the other's new file. Removing files slowly,
    // as on a loaded disk, makes that window wide enough to hit every time; it changes nothing
    // else.
    const starts = await Promise.allSettled(
      Array.from({ length: 3 }, () =>
        startApp('server', ['--data-dir', dataDir], {
          env: fsProbe({ slow: { calls: ['rm', 'unlink'], ms: 1000 } }),
        }),
      ),
    );
    const running: RunningApp[] = [];
    const refusals: string[] = [];
    for (const start of starts) {
      if (start.status === 'fulfilled') running.push(start.value);
      else refusals.push(String(start.reason));
    }
    expect(running.map((server) => server.readyLine)).toHaveLength(1);
    expect(refusals).toHaveLength(2);
    for (const refusal of refusals) expect(refusal).toContain('in use by another semicache server');
    expect(readFileSync(join(dataDir, 'server.pid'), 'utf8')).toBe(`${running[0].child.pid}\n`);
  });

  describe('a restart right after kill -9', () => {
    let parent: ChildProcess | undefined;
    let pid: number | undefined;

    afterEach(() => {
      // The server first (if the test failed before killing it), then its parent: the zombie
      // goes to init, which reaps it.
      if (pid !== undefined && processState(pid) !== undefined) process.kill(pid, 'SIGKILL');
      parent?.kill('SIGKILL');
      parent = pid = undefined;
    });

    it('is accepted while the killed process is dead but its pid still answers (not yet reaped)', async () => {
      const dataDir = makeTempDir();
      // A parent that never reaps its children (sh that became `sleep`), as any supervisor is
      // for a moment: the server it started, once killed, stays a zombie whose pid still exists.
      parent = spawn(
        'sh',
        [
          '-c',
          '"$0" "$@" & echo "pid=$!"; exec sleep 600',
          process.execPath,
          ENTRY.server,
          ...['--port', '0', '--admin-port', '0', '--data-dir', dataDir],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      parent.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      const lines = createInterface({ input: parent.stdout! });
      const server = await new Promise<number>((resolve, reject) => {
        lines.on('line', (line) => {
          if (line.startsWith('pid=')) pid = Number(line.slice(4));
          if (line.startsWith('semicache server ready ')) resolve(pid!);
        });
        parent!.once('exit', () => reject(new Error(`the server did not start:\n${stderr}`)));
      });
      process.kill(server, 'SIGKILL');
      await waitFor('the killed server to be a zombie', () =>
        processState(server) === 'Z' ? true : undefined,
      );
      process.kill(server, 0); // its pid still answers

      const restarted = await startApp('server', ['--data-dir', dataDir]);
      expect(readFileSync(join(dataDir, 'server.pid'), 'utf8')).toBe(`${restarted.child.pid}\n`);
    });
  });
});
