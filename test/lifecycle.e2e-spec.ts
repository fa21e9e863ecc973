// How the apps start and stop as processes: the ready line, signals, a failed start, and the npm
// wrappers (`npm run server|proxy`, `npm start`) that a person or a supervisor stops.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startApp, stopAll } from './support/processes';
import { runToExit } from './support/run-to-exit';
import { makeTempDir, removeTempDirs } from './support/temp-dirs';

jest.setTimeout(120_000);

afterEach(() => stopAll());
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

  it('prints one line, without a stack trace, and exits 1', async () => {
    const path = notADirectory();
    const result = await runToExit('server', [
      ...['--port', '0', '--admin-port', '0', '--data-dir', path],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^semicache server failed to start: cannot create .*a-file.*\n$/);
    expect(result.stdout).toBe('');
  });

  it('prints one line when a port is taken, the admin port included', async () => {
    const port = await busyPort();
    const results = await Promise.all([
      runToExit('proxy', ['--port', String(port), '--admin-port', '0']),
      runToExit('proxy', ['--port', '0', '--admin-port', String(port)]),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^semicache proxy failed to start: .*EADDRINUSE.*\n$/);
    }
  });

  it('prints the stack trace too with SEMICACHE_DEBUG=1', async () => {
    const path = notADirectory();
    const result = await runToExit(
      'server',
      ['--port', '0', '--admin-port', '0', '--data-dir', path],
      { env: { ...process.env, SEMICACHE_DEBUG: '1' } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('semicache server failed to start: cannot create');
    expect(result.stderr).toMatch(/\n\s+at .*data-directory\.js:\d+/);
  });
});
