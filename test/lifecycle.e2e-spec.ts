// How the apps start and stop as processes: the ready line, signals, a failed start, and the npm
// wrappers (`npm run server|proxy`, `npm start`) that a person or a supervisor stops.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closeAllConnections, connectTo } from './support/line-client';
import { logLines } from './support/logs';
import { commandLine, descendants, isAlive } from './support/proc';
import { ENTRY, ROOT, fsProbe, startApp, stopAll, waitFor } from './support/processes';
import { runToExit } from './support/run-to-exit';
import { makeTempDir, removeTempDirs } from './support/temp-dirs';

jest.setTimeout(120_000);

/** A wrapper process (npm, or one of scripts/*.js) and the apps it started. */
interface Wrapper {
  readonly child: ChildProcess;
  /** Resolves with the first line of its stdout that matches. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves once it has exited: its code, or the signal that killed it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once its stdout and stderr are closed and read. */
  readonly closed: Promise<void>;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
}

/** Every process a wrapper started, so that a failed test leaves none behind. */
const started = new Set<number>();

/** Runs `command` (npm, or node with a script) in the repository, as a person would. */
function runWrapper(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Wrapper {
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', ...env },
  });
  started.add(child.pid!);
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const lines: string[] = [];
  const waiting: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    output += `${line}\n`;
    for (const check of waiting) check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    closed: new Promise((resolve) => child.once('close', () => resolve())),
    output: () => output,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((line) => pattern.test(line));
          if (found !== undefined) resolve(found);
        };
        waiting.push(check);
        check();
        void exited.then(({ code, signal }) =>
          reject(new Error(`${command} exited (${signal ?? code}) before ${pattern}:\n${output}`)),
        );
      }),
  };
}

/** The processes under a wrapper now; each must be one of ours to clean up. */
function tree(wrapper: Wrapper): number[] {
  const pids = descendants(wrapper.child.pid!);
  for (const pid of pids) started.add(pid);
  return pids;
}

afterEach(async () => {
  closeAllConnections();
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  started.clear();
  await stopAll();
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe('a signal the moment the ready line appears', () => {
  // The line is the app's promise that it is up, so its signal handlers must already be there:
  // a SIGTERM sent as soon as the line is read must get the graceful shutdown, the only way to
  // exit 0, never the default, abrupt death by the signal. Many tries, a few at a time, to catch
  // the race.
  const TRIES = 12;
  const AT_ONCE = 4;

  it.each(['server', 'proxy'] as const)(
    '%s: exits 0 through its graceful shutdown, every time',
    async (name) => {
      const args = name === 'server' ? ['--in-memory'] : ['--upstream', '127.0.0.1:1'];
      const outcomes: string[] = [];
      for (let round = 0; round < TRIES / AT_ONCE; round++) {
        outcomes.push(
          ...(await Promise.all(
            Array.from({ length: AT_ONCE }, async () => {
              const app = await startApp(name, args);
              const code = await app.stop('SIGTERM');
              return code === null ? `killed by ${app.child.signalCode}` : `exit ${code}`;
            }),
          )),
        );
      }
      expect(outcomes).toEqual(Array.from({ length: TRIES }, () => 'exit 0'));
    },
  );
});

describe('a signal while the app is still starting', () => {
  it('stops it the same way once the start is done: exit 0, no ready line', async () => {
    // The start is held at its first step on disk (creating the data directory), which runs
    // after the app has set up its signal handlers; the probe says when it is held there.
    const log = join(makeTempDir(), 'probe.log');
    const server = runWrapper(
      process.execPath,
      [ENTRY.server, '--port', '0', '--admin-port', '0', '--data-dir', join(makeTempDir(), 'd')],
      fsProbe({ log, slow: { calls: ['mkdir'], ms: 1500 } }),
    );
    await waitFor('the start to be held', () =>
      existsSync(log) && readFileSync(log, 'utf8').includes('wait mkdir') ? true : undefined,
    );
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await server.closed;
    expect(server.output()).toContain('"signal":"SIGTERM","msg":"shutting down"');
    expect(server.output()).not.toContain('ready');
  });
});

describe('a failed start', () => {
  let occupied: Server | undefined;

  afterEach(() => {
    occupied?.close();
    occupied = undefined;
  });

  /** A port something else listens on. */
  async function busyPort(): Promise<number> {
    const server = createServer();
    occupied = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  function notADirectory(): string {
    const path = join(makeTempDir(), 'a-file');
    writeFileSync(path, 'not a directory');
    return path;
  }

  it('logs one line, without a stack trace, and exits 1', async () => {
    const path = notADirectory();
    const result = await runToExit('server', [
      ...['--port', '0', '--admin-port', '0', '--data-dir', path],
    ]);
    expect(result.code).toBe(1);
    expect(logLines(result.stderr)).toEqual([
      expect.objectContaining({
        level: 'fatal',
        app: 'server',
        msg: 'failed to start',
        error: expect.stringMatching(/^cannot create .*a-file/),
      }),
    ]);
    expect(result.stderr).not.toContain('stack');
    expect(result.stdout).toBe('');
  });

  it('logs one line when a port is taken, the admin port included', async () => {
    const port = await busyPort();
    const results = await Promise.all([
      runToExit('proxy', ['--port', String(port), '--admin-port', '0']),
      runToExit('proxy', ['--port', '0', '--admin-port', String(port)]),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      // Besides the failure, only the upstream's state (no server runs at its default address).
      const lines = logLines(result.stderr).filter((line) => line.context !== 'Upstream');
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'fatal',
          app: 'proxy',
          msg: 'failed to start',
          error: expect.stringContaining('EADDRINUSE'),
        }),
      ]);
    }
  });

  it('adds the stack trace at --log-level debug (here through its variable)', async () => {
    const path = notADirectory();
    const result = await runToExit(
      'server',
      ['--port', '0', '--admin-port', '0', '--data-dir', path],
      { env: { ...process.env, SEMICACHE_SERVER_LOG_LEVEL: 'debug' } },
    );
    expect(result.code).toBe(1);
    const failed = logLines(result.stderr).filter((line) => line.level === 'fatal');
    expect(failed).toEqual([
      expect.objectContaining({
        msg: 'failed to start',
        error: expect.stringMatching(/^cannot create /),
        stack: expect.stringMatching(/\n\s+at .*data-directory\.js:\d+/),
      }),
    ]);
  });
});

describe('the npm wrappers stop their apps when they are stopped', () => {
  /** Waits until none of `pids` runs any more. */
  function gone(pids: readonly number[]): Promise<true> {
    return waitFor(`processes ${pids.join(' ')} to exit`, () =>
      pids.some(isAlive) ? undefined : true,
    );
  }

  it.each([
    ['server' as const, ['--in-memory']],
    ['proxy' as const, ['--upstream', '127.0.0.1:1']],
  ])(
    'SIGTERM to `npm run %s` stops the app: npm exits 0 and no process is left',
    async (name, flags) => {
      const npm = runWrapper('npm', [
        ...['run', name, '--', '--port', '0', '--admin-port', '0', ...flags],
      ]);
      await npm.line(new RegExp(`^semicache ${name} ready `));
      const pids = tree(npm);
      expect(pids.map(commandLine)).toContainEqual(expect.stringContaining(ENTRY[name]));
      npm.child.kill('SIGTERM');
      expect(await npm.exited).toEqual({ code: 0, signal: null });
      await gone(pids);
    },
  );

  it('`npm start -- FLAGS` passes --proxy-NAME flags to the proxy, the rest to the server; SIGTERM stops both', async () => {
    const npm = runWrapper('npm', [
      ...['start', '--', '--in-memory', '--size', '20', '--port', '0', '--admin-port', '0'],
      ...['--proxy-port', '0', '--proxy-admin-port=0', '--proxy-capacity', '3'],
      ...['--proxy-eviction', 'lru'],
    ]);
    const admin = (line: string) => /admin=(\S+)/.exec(line)![1];
    const server = admin(await npm.line(/^\[server\] semicache server ready /));
    const proxy = admin(await npm.line(/^\[proxy\] semicache proxy ready /));
    await npm.line(/^semicache is running:/);
    const table = await fetch(`${server}/table`);
    expect(((await table.json()) as { size: number }).size).toBe(20);
    const stats = await fetch(`${proxy}/stats`);
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ capacity: 3, policy: 'lru' });
    const pids = tree(npm);
    expect(pids.map(commandLine)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(ENTRY.server),
        expect.stringContaining(ENTRY.proxy),
      ]),
    );
    npm.child.kill('SIGTERM');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    await gone(pids);
  });

  it('`npm run cluster` starts Redis, 2 servers and 3 proxies that serve one table; SIGTERM stops them all and removes its data', async () => {
    const npm = runWrapper('npm', ['run', 'cluster', '--', '--any-ports']);
    await npm.line(/^semicache cluster is running:/);
    const address = async (name: string) => {
      const [, host, port] = /^ {2}\S+\s+(\S+):(\d+)\s/.exec(
        await npm.line(new RegExp(`^  ${name} `)),
      )!;
      return { host, port: Number(port) };
    };
    const redisLine = await npm.line(/^ {2}redis /);
    const dataDir = /data in (\S+),/.exec(redisLine)![1];
    expect(existsSync(dataDir)).toBe(true);
    // A write through one proxy is read through the two others (and straight from a server).
    const [first, second, third] = await Promise.all(
      ['proxy-1', 'proxy-2', 'proxy-3'].map(async (name) => connectTo(await address(name))),
    );
    expect(await second.send('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=0;');
    expect(await first.send('OP=PUT;IND=1;DATA=11;')).toBe('OP=PUT;IND=1;DATA=11;');
    const server = await connectTo(await address('server-2'));
    expect(await server.send('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=11;');
    for (const proxy of [second, third]) {
      await waitFor('the write to be seen', async () =>
        (await proxy.send('OP=GET;IND=1;')) === 'OP=GET;IND=1;DATA=11;' ? true : undefined,
      );
    }
    const pids = tree(npm);
    const commands = pids.map(commandLine);
    expect(commands.filter((command) => command.includes(ENTRY.server))).toHaveLength(2);
    expect(commands.filter((command) => command.includes(ENTRY.proxy))).toHaveLength(3);
    expect(commands.filter((command) => command.includes('redis-server'))).toHaveLength(1);

    npm.child.kill('SIGTERM');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    await gone(pids);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('`npm start` refuses --proxy-upstream (its proxy is in front of its own server)', async () => {
    const start = runWrapper(process.execPath, ['scripts/start.js', '--proxy-upstream', 'h:1']);
    expect(await start.exited).toEqual({ code: 2, signal: null });
  });

  it('a wrapper ends as its app did: killed by the same signal', async () => {
    const run = runWrapper(process.execPath, [
      ...['scripts/run.js', 'server', '--port', '0', '--admin-port', '0', '--in-memory'],
    ]);
    await run.line(/^semicache server ready /);
    const [app] = tree(run).filter((pid) => commandLine(pid).includes(ENTRY.server));
    process.kill(app, 'SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
