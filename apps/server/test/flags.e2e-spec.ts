// The server's flags and environment variables, --help, the ready line, and clear
// refusal of bad values.
import { ServerAdmin, getJson } from '@semicache/client';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, stopAll } from '../../../test/support/processes';
import { type Exited, runToExit } from '../../../test/support/run-to-exit';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe('--help', () => {
  it('lists the flags and their environment variables, and exits 0 without starting', async () => {
    const result = await runToExit('server', ['--help']);
    expect(result.code).toBe(0);
    for (const flag of [
      '--host',
      '--port',
      '--admin-port',
      '--size',
      '--data-dir',
      '--in-memory',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${flag}\\b`, 'm'));
    }
    for (const env of [
      'SEMICACHE_SERVER_HOST',
      'SEMICACHE_SERVER_PORT',
      'SEMICACHE_SERVER_ADMIN_PORT',
      'SEMICACHE_SERVER_SIZE',
      'SEMICACHE_SERVER_DATA_DIR',
      'SEMICACHE_SERVER_IN_MEMORY',
    ]) {
      expect(result.stdout).toContain(env);
    }
    // The listener's limits are flags too.
    for (const flag of ['--max-message-length', '--bare-message-delay-ms', '--max-connections']) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).not.toContain('ready');
  });
});

// --in-memory and free ports everywhere: a value wrongly accepted must not touch ./data or 6002.
const BAD_VALUES: readonly (readonly [string, readonly string[], RegExp])[] = [
  ['--port abc', ['--port', 'abc', '--admin-port', '0'], /--port.*abc/],
  ['--port 70000', ['--port', '70000', '--admin-port', '0'], /--port.*70000/],
  ['--admin-port -1', ['--port', '0', '--admin-port', '-1'], /--admin-port/],
  ['--size 0', ['--port', '0', '--admin-port', '0', '--size', '0'], /--size.*"0"/],
  ['--size abc', ['--port', '0', '--admin-port', '0', '--size', 'abc'], /--size.*abc/],
  [
    '--max-connections 0',
    ['--port', '0', '--admin-port', '0', '--max-connections', '0'],
    /--max-connections/,
  ],
  ['an unknown flag', ['--port', '0', '--admin-port', '0', '--sise', '20'], /--sise/],
  ['a stray argument', ['--port', '0', '--admin-port', '0', 'extra'], /extra|argument/i],
];

describe('bad flag values are refused with a clear message and a non-zero exit', () => {
  const runs = new Map<string, Promise<Exited>>();

  beforeAll(() => {
    // All at once: each is a short-lived process, and they do not share anything.
    for (const [name, args] of BAD_VALUES) {
      runs.set(name, runToExit('server', ['--in-memory', ...args], { timeoutMs: 15_000 }));
    }
  });

  it.each(BAD_VALUES)('%s', async (name, _args, message) => {
    const result = await runs.get(name)!;
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toContain('ready');
  });

  it('refuses a bad value given by environment variable, naming the flag', async () => {
    const result = await runToExit('server', ['--in-memory', '--port', '0', '--admin-port', '0'], {
      env: { ...process.env, SEMICACHE_SERVER_SIZE: '0' },
      timeoutMs: 10_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(/--size/);
  });
});

describe('flags and environment at start', () => {
  afterEach(async () => {
    await stopAll();
  });

  it('prints one ready line with the ports really bound', async () => {
    const server = await startApp('server', ['--in-memory', '--host', '127.0.0.1']);
    expect(server.readyLine).toMatch(
      /^semicache server ready protocol=127\.0\.0\.1:\d+ admin=http:\/\/127\.0\.0\.1:\d+$/,
    );
    expect(server.protocol.port).toBeGreaterThan(0);
    expect(new URL(server.admin).port).not.toBe('0');
    expect((await getJson(`${server.admin}/health`)).status).toBe(200);
  });

  it('takes settings from environment variables, and a flag wins over its variable', async () => {
    const dir = join(makeTempDir(), 'never-created');
    const fromEnv = await startApp('server', [], {
      env: {
        SEMICACHE_SERVER_SIZE: '20',
        SEMICACHE_SERVER_IN_MEMORY: 'true',
        SEMICACHE_SERVER_DATA_DIR: dir,
      },
    });
    expect(await getJson(`${fromEnv.admin}/health`)).toEqual({
      status: 200,
      body: { status: 'ok', table: { size: 20, writable: true } },
    });
    // In memory: the data directory is not even created.
    expect(existsSync(dir)).toBe(false);

    const flagWins = await startApp('server', ['--in-memory', '--size', '30'], {
      env: { SEMICACHE_SERVER_SIZE: '20' },
    });
    expect((await new ServerAdmin(flagWins.admin).table()).size).toBe(30);
  });

  it('keeps the data on disk when the in-memory variable says false', async () => {
    const dir = join(makeTempDir(), 'data');
    await startApp('server', ['--data-dir', dir], { env: { SEMICACHE_SERVER_IN_MEMORY: 'false' } });
    expect(existsSync(join(dir, 'table.log'))).toBe(true);
  });
});
