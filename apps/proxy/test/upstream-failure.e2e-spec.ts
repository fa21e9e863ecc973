/**
 * The server dies under the proxy: cached reads keep working,
 * anything that needs the server fails fast with an UPSTREAM_* error, /health says so, and once
 * a server is back on the same port the proxy reconnects by itself and serves misses again.
 */
import type { ProtocolConnection } from '@semicache/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { scrape, sampleValue } from '../../../test/support/metrics';
import { cachedPairs, health, seedServer, stats, upstreamOf } from './support/stack';

jest.setTimeout(90_000);

const UPSTREAM_DOWN = /^OP=ERR;CODE=(UPSTREAM_UNAVAILABLE|UPSTREAM_TIMEOUT);MSG=[^;\n]+;$/;
/** Well under the proxy's 2 s upstream timeout: "fails fast" means no waiting for a dead server. */
const FAST_MS = 1500;

async function timed(
  connection: ProtocolConnection,
  message: string,
): Promise<{ reply: string; ms: number }> {
  const started = performance.now();
  const reply = await connection.send(message);
  return { reply, ms: performance.now() - started };
}

/** Polls the proxy's /health until it answers `status`. */
function healthBecomes(proxy: RunningApp, status: number) {
  return waitFor(
    `proxy /health ${status}`,
    async () => {
      const answer = await health(proxy);
      return answer.status === status ? answer : undefined;
    },
    15_000,
    25,
  );
}

describe('the server is killed under the proxy, then comes back on the same port', () => {
  let dataDir: string;
  let server: RunningApp;
  let proxy: RunningApp;
  let client: ProtocolConnection;

  beforeAll(async () => {
    // On disk, so what was written before the kill is there after the restart.
    dataDir = mkdtempSync(join(tmpdir(), 'semicache-proxy-e2e-'));
    server = await startApp('server', ['--data-dir', dataDir]);
    proxy = await startApp('proxy', ['--upstream', upstreamOf(server)]);
    client = await connectTo(proxy.protocol);
  });

  afterAll(async () => {
    closeAllConnections();
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('with the server up: caches three entries; index 7 is written behind the proxy', async () => {
    expect(await client.send('OP=PUT;IND=1,2,3;DATA=11,-22,33;')).toBe(
      'OP=PUT;IND=1,2,3;DATA=11,-22,33;',
    );
    await seedServer(server, new Map([[7, 77n]]));
    expect(await cachedPairs(proxy)).toEqual(['1=11', '2=-22', '3=33']);
    expect((await healthBecomes(proxy, 200)).body).toEqual({
      status: 'ok',
      upstream: { target: upstreamOf(server), up: true },
    });
  });

  it('after SIGKILL: /health is 503 with upstream.up false, and /metrics says upstream down', async () => {
    expect(await server.stop('SIGKILL')).toBeNull();
    const answer = await healthBecomes(proxy, 503);
    expect(answer.body).toMatchObject({
      status: 'degraded',
      upstream: { target: upstreamOf(server), up: false },
    });
    expect(sampleValue((await scrape(proxy.admin)).samples, 'semicache_upstream_up')).toBe(0);
  });

  it('cached reads are still answered, correctly, from the cache', async () => {
    const before = await stats(proxy);
    expect(await client.send('OP=GET;IND=1,2,3;')).toBe('OP=GET;IND=1,2,3;DATA=11,-22,33;');
    expect(await client.send('OP=ADD;IND=3,2,1;')).toBe('OP=ADD;IND=3,2,1;DATA=22;');
    const after = await stats(proxy);
    expect({ hits: after.hits - before.hits, misses: after.misses - before.misses }).toEqual({
      hits: 6,
      misses: 0,
    });
  });

  it('uncached reads and a PUT get an UPSTREAM_* error at once, and the connection stays usable', async () => {
    for (const message of [
      'OP=GET;IND=7;',
      'OP=GET;IND=1,7;',
      'OP=ADD;IND=7,1;',
      'OP=PUT;IND=8;DATA=8;',
    ]) {
      const { reply, ms } = await timed(client, message);
      expect({ message, reply }).toEqual({ message, reply: expect.stringMatching(UPSTREAM_DOWN) });
      expect({ message, fast: ms < FAST_MS }).toEqual({ message, fast: true });
    }
    // Nothing was cached for the failed requests; the cached entries are intact.
    expect(await cachedPairs(proxy)).toEqual(['1=11', '2=-22', '3=33']);
    expect(await client.send('OP=GET;IND=2;')).toBe('OP=GET;IND=2;DATA=-22;');
  });

  it('many requests at once while down all get an answer (no hang)', async () => {
    const connections = await Promise.all(
      Array.from({ length: 4 }, () => connectTo(proxy.protocol)),
    );
    const replies = await Promise.all(
      connections.flatMap((connection) =>
        Array.from({ length: 24 }, (_, n) =>
          connection.send(n % 2 === 0 ? 'OP=GET;IND=5;' : 'OP=GET;IND=3;'),
        ),
      ),
    );
    expect(replies.filter((reply) => reply === 'OP=GET;IND=3;DATA=33;')).toHaveLength(48);
    expect(replies.filter((reply) => UPSTREAM_DOWN.test(reply))).toHaveLength(48);
  });

  it('CLR gets an UPSTREAM_* error at once', async () => {
    // (The proxy also empties its cache, as after any CLR whose outcome it cannot know: see
    // "Unknown outcomes" in docs/design.md. This test checks only the reply.)
    const { reply, ms } = await timed(client, 'OP=CLR;');
    expect(reply).toMatch(UPSTREAM_DOWN);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a new server on the same port: the proxy reconnects by itself and serves misses again', async () => {
    const port = server.protocol.port;
    server = await startApp('server', ['--port', String(port), '--data-dir', dataDir]);
    expect(server.protocol.port).toBe(port);

    const answer = await healthBecomes(proxy, 200);
    expect(answer.body).toEqual({
      status: 'ok',
      upstream: { target: `127.0.0.1:${port}`, up: true },
    });

    // The same proxy process, the same client connection: index 7 (written before the kill,
    // never cached) now comes from the restarted server.
    expect(await client.send('OP=GET;IND=7;')).toBe('OP=GET;IND=7;DATA=77;');
    expect(await client.send('OP=PUT;IND=8;DATA=88;')).toBe('OP=PUT;IND=8;DATA=88;');
    expect(await client.send('OP=GET;IND=1,8,7;')).toBe('OP=GET;IND=1,8,7;DATA=11,88,77;');

    const samples = (await scrape(proxy.admin)).samples;
    expect(sampleValue(samples, 'semicache_upstream_up')).toBe(1);
    expect(sampleValue(samples, 'semicache_upstream_connects_total')).toBe(2);
    // Everything that needed the server while it was down, and nothing else, failed as unavailable:
    // GET 7, GET 1,7, ADD 7,1 (an upstream GET each) and the 48 concurrent GETs of 5, which the
    // proxy gathers into one upstream GET per turn of its event loop (so 1 to 48 of them); PUT 8; CLR.
    const unavailable = (op: string) =>
      sampleValue(samples, 'semicache_upstream_requests_total', { op, outcome: 'unavailable' });
    expect({ PUT: unavailable('PUT'), CLR: unavailable('CLR') }).toEqual({ PUT: 1, CLR: 1 });
    expect(unavailable('GET')).toBeGreaterThanOrEqual(3 + 1);
    expect(unavailable('GET')).toBeLessThanOrEqual(3 + 48);
  });
});

describe('a PUT to a cached index while the server is down', () => {
  afterEach(async () => {
    closeAllConnections();
    await stopAll();
  });

  // A PUT the server does not acknowledge gets an error and leaves the cache unchanged. With no
  // connection at all, the PUT never left the proxy, so the cached entry
  // is still the server's value and should still be served.
  it('fails and leaves the cached entry as it was', async () => {
    const server = await startApp('server', ['--in-memory']);
    const proxy = await startApp('proxy', ['--upstream', upstreamOf(server)]);
    const client = await connectTo(proxy.protocol);
    expect(await client.send('OP=PUT;IND=4;DATA=44;')).toBe('OP=PUT;IND=4;DATA=44;');
    await server.stop('SIGKILL');
    await healthBecomes(proxy, 503);

    expect(await client.send('OP=PUT;IND=4;DATA=45;')).toMatch(UPSTREAM_DOWN);
    expect(await cachedPairs(proxy)).toEqual(['4=44']);
    expect(await client.send('OP=GET;IND=4;')).toBe('OP=GET;IND=4;DATA=44;');
  });
});
