// Proxies beyond one: --invalidation (Nest's Redis transport; what a proxy does while its
// subscription is down) and --upstream with several servers (failover and back). Real
// redis-server, servers and proxies on free ports.
import { ProxyAdmin, type RecentEvents, getJson } from '@semicache/client';
import { decisionWords } from '../../../test/support/events';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { linesWith } from '../../../test/support/logs';
import { sampleValue, scrape } from '../../../test/support/metrics';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RedisServer } from '../../../test/support/redis';
import { removeTempDirs } from '../../../test/support/temp-dirs';
import { cachedPairs, health, stats, upstreamOf } from './support/stack';

jest.setTimeout(60_000);

let redis: RedisServer;

beforeAll(async () => {
  redis = await RedisServer.start('always');
});
afterEach(() => closeAllConnections());
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

const subscribed = async (proxy: RunningApp) =>
  sampleValue((await scrape(proxy.admin)).samples, 'semicache_invalidation_subscribed');

describe('--invalidation: two proxies in front of one server', () => {
  let server: RunningApp;
  let first: RunningApp;
  let second: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory', '--invalidation', redis.url()]);
    const args = ['--upstream', upstreamOf(server), '--invalidation', redis.url()];
    [first, second] = await Promise.all([startApp('proxy', args), startApp('proxy', args)]);
    for (const proxy of [first, second]) {
      await waitFor('the subscription', async () =>
        (await subscribed(proxy)) === 1 ? true : undefined,
      );
    }
  });

  it('drops from one proxy what a write through the other changed, and measures how late', async () => {
    const a = await connectTo(first.protocol);
    const b = await connectTo(second.protocol);
    expect(await b.send('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=0,0;');
    expect(await cachedPairs(second)).toEqual(['1=0', '2=0']);

    expect(await a.send('OP=PUT;IND=1;DATA=7;')).toBe('OP=PUT;IND=1;DATA=7;');
    await waitFor('the entry dropped', async () =>
      (await cachedPairs(second)).join() === '2=0' ? true : undefined,
    );
    expect(await b.send('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=7,0;');
    // The writer's own invalidation names the value it cached: it keeps it.
    expect(await cachedPairs(first)).toEqual(['1=7']);

    const { invalidation } = await stats(second);
    expect(invalidation).toMatchObject({ subscribed: true, invalidations: 1, resets: 0 });
    expect(invalidation!.lagSeconds.samples).toBe(1);
    expect(invalidation!.lagSeconds.max).toBeGreaterThanOrEqual(0);
    const samples = (await scrape(second.admin)).samples;
    expect(sampleValue(samples, 'semicache_invalidations_total', { op: 'PUT' })).toBe(1);
    expect(sampleValue(samples, 'semicache_invalidation_lag_seconds_count')).toBe(1);

    expect(await a.send('OP=CLR;')).toBe('OP=CLR;');
    await waitFor('the cache emptied', async () =>
      (await cachedPairs(second)).length === 0 ? true : undefined,
    );

    // Each invalidation that dropped something is an event of its own, its drops decisions.
    const { body } = await getJson<RecentEvents>(`${second.admin}/events/recent?op=INVALIDATE`);
    expect(body.events.map((event) => [event.conn, decisionWords(event)])).toEqual([
      [null, ['dropped 1']],
      [null, ['cleared 2']],
    ]);
  });

  it('while the subscription is down: no hits, 503 on /health, writes refused by the server; back: cache emptied first', async () => {
    const b = await connectTo(second.protocol);
    expect(await b.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=0;');
    expect(await cachedPairs(second)).toEqual(['3=0']);

    await redis.stop();
    await waitFor('the subscription lost', async () =>
      (await subscribed(second)) === 0 ? true : undefined,
    );
    expect(await cachedPairs(second)).toEqual([]);
    const down = await health(second);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'degraded',
      upstream: { up: true },
      invalidation: { target: `127.0.0.1:${redis.port}/0`, subscribed: false },
    });
    const before = await stats(second);
    // Reads are answered, from the server every time.
    expect(await b.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=0;');
    expect(await b.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=0;');
    const after = await stats(second);
    expect([after.hits - before.hits, after.misses - before.misses]).toEqual([0, 2]);
    expect(await cachedPairs(second)).toEqual([]);
    // The server cannot publish, so it takes no write (a proxy could not learn of it).
    expect(await b.send('OP=PUT;IND=3;DATA=1;')).toMatch(/^OP=ERR;CODE=STORE_UNAVAILABLE;/);

    await redis.restart();
    await waitFor('the subscription back', async () =>
      (await subscribed(second)) === 1 ? true : undefined,
    );
    await waitFor('the server writable again', async () => {
      const reply = await b.send('OP=PUT;IND=3;DATA=2;');
      return reply === 'OP=PUT;IND=3;DATA=2;' ? true : undefined;
    });
    expect((await health(second)).status).toBe(200);
    expect(await b.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=2;');
    expect((await stats(second)).invalidation!.resets).toBeGreaterThanOrEqual(2);
    expect(linesWith(second.stderr(), 'invalidations lost')).toEqual([
      expect.objectContaining({ level: 'warn', emptied: 1 }),
    ]);
    expect(linesWith(second.stderr(), 'invalidations subscribed').at(-1)).toMatchObject({
      level: 'info',
      downMs: expect.any(Number),
    });
  });
});

describe('--upstream with two servers on one Redis table', () => {
  it('uses the first, fails over to the second when it goes, and goes back when it returns', async () => {
    const serverArgs = [
      '--store',
      'redis',
      '--redis-url',
      redis.url(),
      '--redis-prefix',
      'failover',
    ];
    const [first, second] = await Promise.all([
      startApp('server', serverArgs),
      startApp('server', serverArgs),
    ]);
    const proxy = await startApp('proxy', [
      '--upstream',
      `${upstreamOf(first)},${upstreamOf(second)}`,
      '--reconnect-max-ms',
      '100',
    ]);
    expect(proxy.readyLine).toMatch(new RegExp(`upstream=${upstreamOf(first)}$`));
    const client = await connectTo(proxy.protocol);
    expect(await client.send('OP=PUT;IND=4;DATA=44;')).toBe('OP=PUT;IND=4;DATA=44;');

    const port = first.protocol.port;
    expect(await first.stop('SIGKILL')).toBeNull();
    await waitFor('the failover', async () =>
      (await health(proxy)).body.upstream.target === upstreamOf(second) ? true : undefined,
    );
    expect((await health(proxy)).body.upstream).toEqual({
      target: upstreamOf(second),
      up: true,
      targets: [
        { target: upstreamOf(first), up: false },
        { target: upstreamOf(second), up: true },
      ],
    });
    expect(await client.send('OP=PUT;IND=5;DATA=55;')).toBe('OP=PUT;IND=5;DATA=55;');
    expect(await client.send('OP=ADD;IND=4,5;')).toBe('OP=ADD;IND=4,5;DATA=99;');

    const back = await startApp('server', ['--port', String(port), ...serverArgs]);
    await waitFor('back to the first', async () =>
      (await health(proxy)).body.upstream.target === upstreamOf(back) ? true : undefined,
    );
    expect(await client.send('OP=GET;IND=5;')).toBe('OP=GET;IND=5;DATA=55;');
    expect((await new ProxyAdmin(proxy.admin).health()).status).toBe(200);
  });
});
