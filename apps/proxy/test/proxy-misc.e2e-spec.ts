/**
 * Read-your-writes on a pipelined connection, the proxy's flags, and a proxy that starts before
 * its server.
 */
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { startApp, stopAll, waitFor } from '../../../test/support/processes';
import { runProxyToExit } from './support/run-proxy';
import { cachedPairs, freePort, health, startStack, stats } from './support/stack';

jest.setTimeout(60_000);

afterEach(async () => {
  closeAllConnections();
  await stopAll();
});

describe('pipelining through the proxy', () => {
  it('a PUT then a GET of the same cached index, in one write, reads its own write', async () => {
    const { proxy } = await startStack();
    const client = await connectTo(proxy.protocol);
    expect(await client.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=0;');
    expect(await cachedPairs(proxy)).toEqual(['3=0']);

    for (let round = 1; round <= 50; round++) {
      const value = round * 7 - 100;
      expect(
        await client.sendBatch([`OP=PUT;IND=3;DATA=${value};`, 'OP=GET;IND=3;', 'OP=ADD;IND=3,3;']),
      ).toEqual([
        `OP=PUT;IND=3;DATA=${value};`,
        `OP=GET;IND=3;DATA=${value};`,
        `OP=ADD;IND=3,3;DATA=${value * 2};`,
      ]);
    }
    expect(await cachedPairs(proxy)).toEqual([`3=${50 * 7 - 100}`]);
  });

  it('back-to-back writes and reads on one connection, not awaited, answer in order', async () => {
    const { proxy } = await startStack();
    const client = await connectTo(proxy.protocol);
    expect(await client.send('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=0,0;');
    const pending: Array<Promise<string>> = [];
    const expected: string[] = [];
    for (let value = 1; value <= 100; value++) {
      const index = value % 2 === 0 ? 1 : 2;
      pending.push(client.send(`OP=PUT;IND=${index};DATA=${value};`));
      expected.push(`OP=PUT;IND=${index};DATA=${value};`);
      pending.push(client.send('OP=GET;IND=2,1;'));
      // After PUT of `value`, index `index` holds value; the other holds value - 1 (or 0).
      const other = Math.max(value - 1, 0);
      const [one, two] = index === 1 ? [value, other] : [other, value];
      expected.push(`OP=GET;IND=2,1;DATA=${two},${one};`);
    }
    expect(await Promise.all(pending)).toEqual(expected);
    // The pipelined GETs of indices being written were sent to the server, not answered from
    // a cache about to be overwritten.
    expect((await stats(proxy)).misses).toBeGreaterThan(2);
  });
});

describe('the proxy command line', () => {
  it('--help lists --upstream, --capacity and --eviction and exits 0', async () => {
    const { code, stdout } = await runProxyToExit(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--upstream',
      '--capacity',
      '--eviction',
      '--host',
      '--port',
      '--admin-port',
    ]) {
      expect({ flag, listed: stdout.includes(flag) }).toEqual({ flag, listed: true });
    }
    expect(stdout).toMatch(/fifo/);
    expect(stdout).toMatch(/lru/);
  });

  it('--eviction bogus exits non-zero naming the flag and the allowed values', async () => {
    const { code, stdout, stderr } = await runProxyToExit(['--eviction', 'bogus']);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stdout).not.toMatch(/ready/);
    expect(stderr).toMatch(/--eviction/);
    expect(stderr).toMatch(/bogus/);
    expect(stderr).toMatch(/fifo/);
    expect(stderr).toMatch(/lru/);
  });

  it('--capacity 0 is refused', async () => {
    const { code, stderr } = await runProxyToExit(['--capacity', '0']);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toMatch(/--capacity/);
  });
});

describe('a proxy started while its server is down', () => {
  it('answers 503 and UPSTREAM_UNAVAILABLE, then serves once a server appears on that port', async () => {
    const port = await freePort();
    const proxy = await startApp('proxy', ['--upstream', `127.0.0.1:${port}`]);
    expect(proxy.readyLine).toContain(`upstream=127.0.0.1:${port}`);

    expect(await health(proxy)).toMatchObject({
      status: 503,
      body: { status: 'degraded', upstream: { target: `127.0.0.1:${port}`, up: false } },
    });

    const client = await connectTo(proxy.protocol);
    expect(await client.send('OP=GET;IND=0;')).toMatch(
      /^OP=ERR;CODE=UPSTREAM_UNAVAILABLE;MSG=[^;]+;$/,
    );
    expect(await client.send('OP=PUT;IND=0;DATA=1;')).toMatch(/^OP=ERR;CODE=UPSTREAM_UNAVAILABLE;/);
    expect((await stats(proxy)).size).toBe(0);

    const server = await startApp('server', ['--in-memory', '--port', String(port)]);
    expect(server.protocol.port).toBe(port);
    await waitFor(
      'proxy /health 200',
      async () => ((await health(proxy)).status === 200 ? true : undefined),
      15_000,
    );

    // Same proxy process, same client connection.
    expect(await client.send('OP=GET;IND=0;')).toBe('OP=GET;IND=0;DATA=0;');
    expect(await client.send('OP=PUT;IND=0;DATA=1;')).toBe('OP=PUT;IND=0;DATA=1;');
    expect(await client.send('OP=GET;IND=0;')).toBe('OP=GET;IND=0;DATA=1;');
    expect(await cachedPairs(proxy)).toEqual(['0=1']);
  });
});
