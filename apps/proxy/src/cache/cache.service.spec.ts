import { type GetReply, ProtocolError, type Reply, type Request } from '@semicache/protocol';
import { type SemicolonClient, UpstreamError } from '@semicache/transport';
import { Registry } from 'prom-client';
import { CacheMetrics } from './cache-metrics';
import { CacheService } from './cache.service';
import { EntryCache } from './entry-cache';
import { createPolicy } from './eviction-policy';

/** An upstream whose replies the test releases one by one, in any order. */
class ScriptedUpstream {
  readonly sent: {
    request: Request;
    resolve: (reply: Reply) => void;
    reject: (error: Error) => void;
  }[] = [];

  request(request: Request): Promise<Reply> {
    return new Promise((resolve, reject) => this.sent.push({ request, resolve, reject }));
  }

  /** The pending request at `position` (in send order). */
  at(position: number) {
    return this.sent[position];
  }
}

function setup(capacity = 5) {
  const upstream = new ScriptedUpstream();
  const cache = new EntryCache(capacity, createPolicy('fifo'));
  const registry = new Registry();
  const service = new CacheService(
    upstream as unknown as SemicolonClient,
    cache,
    new CacheMetrics(registry, cache),
  );
  return { upstream, service, registry };
}

/** The value of a gauge without labels, as a scrape now would show it. */
async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value;
}

/** Lets the FetchBatcher send what it gathered in this turn (it flushes with setImmediate). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const get = (indices: number[], values: bigint[]): GetReply => ({ op: 'GET', indices, values });
const put = (indices: number[], values: bigint[]): Reply => ({ op: 'PUT', indices, values });
/** Fills the cache through a GET that the (first) upstream request answers with `reply`. */
async function warm(service: CacheService, upstream: ScriptedUpstream, reply: GetReply) {
  const read = service.get({ op: 'GET', indices: [...reply.indices] });
  await nextTurn();
  upstream.at(upstream.sent.length - 1).resolve(reply);
  await read;
}

const cached = (service: CacheService) =>
  service.entries().map((entry) => [entry.index, entry.value]);

describe('CacheService', () => {
  it('answers hits from the cache without asking the server, and fetches all misses in one request', async () => {
    const { upstream, service } = setup();
    const first = service.get({ op: 'GET', indices: [1, 2, 1] });
    await nextTurn();
    expect(upstream.sent.map((s) => s.request)).toStrictEqual([{ op: 'GET', indices: [1, 2] }]);
    upstream.at(0).resolve(get([1, 2], [10n, 20n]));
    await expect(first).resolves.toStrictEqual(get([1, 2, 1], [10n, 20n, 10n]));

    expect(service.get({ op: 'GET', indices: [2, 1] })).toStrictEqual(get([2, 1], [20n, 10n]));
    expect(service.add({ op: 'ADD', indices: [1, 2] })).toStrictEqual({
      op: 'ADD',
      indices: [1, 2],
      sum: 30n,
    });
    expect(upstream.sent).toHaveLength(1);
  });

  it('does not cache a slow miss that raced a PUT acknowledged before it', async () => {
    const { upstream, service } = setup();
    const slowRead = service.get({ op: 'GET', indices: [1] });
    await nextTurn();
    const write = service.put({ op: 'PUT', indices: [1], values: [5n] });
    upstream.at(1).resolve(put([1], [5n]));
    await write;
    upstream.at(0).resolve(get([1], [0n])); // the value from before the PUT
    await expect(slowRead).resolves.toStrictEqual(get([1], [0n]));

    expect(cached(service)).toStrictEqual([[1, 5n]]);
    expect(service.get({ op: 'GET', indices: [1] })).toStrictEqual(get([1], [5n]));
  });

  it('reads an index with a write in flight from the server, behind that write, and caches neither', async () => {
    const { upstream, service } = setup();
    await warm(service, upstream, get([1], [0n]));
    const write = service.put({ op: 'PUT', indices: [1], values: [5n] });
    const read = service.get({ op: 'GET', indices: [1] });
    await nextTurn();
    expect(upstream.sent.map((s) => s.request.op)).toStrictEqual(['GET', 'PUT', 'GET']);
    upstream.at(2).resolve(get([1], [5n]));
    await expect(read).resolves.toStrictEqual(get([1], [5n]));
    expect(cached(service)).toStrictEqual([[1, 0n]]); // the fetch was not stored

    upstream.at(1).resolve(put([1], [5n]));
    await write;
    expect(cached(service)).toStrictEqual([[1, 5n]]);
  });

  it('does not cache a miss that raced a CLR', async () => {
    const { upstream, service } = setup();
    const slowRead = service.get({ op: 'GET', indices: [3] });
    await nextTurn();
    const clear = service.clear();
    upstream.at(1).resolve({ op: 'CLR' });
    await clear;
    upstream.at(0).resolve(get([3], [7n]));
    await slowRead;
    expect(cached(service)).toStrictEqual([]);
  });

  it('keeps the cache when a PUT is refused by the server or was never sent', async () => {
    const { upstream, service } = setup();
    await warm(service, upstream, get([1], [4n]));

    const refused = service.put({ op: 'PUT', indices: [1], values: [5n] });
    upstream.at(1).reject(new ProtocolError('BAD_INDEX', 'index 1 is outside 0..0'));
    await expect(refused).rejects.toMatchObject({ code: 'BAD_INDEX' });
    expect(cached(service)).toStrictEqual([[1, 4n]]);

    const unsent = service.put({ op: 'PUT', indices: [1], values: [6n] });
    upstream.at(2).reject(new UpstreamError('UPSTREAM_UNAVAILABLE', 'down', false));
    await expect(unsent).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(cached(service)).toStrictEqual([[1, 4n]]);
  });

  it('drops the entries of a PUT or CLR whose outcome is unknown (sent, no answer)', async () => {
    const { upstream, service } = setup();
    await warm(service, upstream, get([1, 2], [4n, 8n]));

    const timedOut = service.put({ op: 'PUT', indices: [1], values: [5n] });
    upstream.at(1).reject(new UpstreamError('UPSTREAM_TIMEOUT', 'slow', true));
    await expect(timedOut).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(cached(service)).toStrictEqual([[2, 8n]]);

    const lostClear = service.clear();
    upstream.at(2).reject(new UpstreamError('UPSTREAM_UNAVAILABLE', 'closed', true));
    await expect(lostClear).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(cached(service)).toStrictEqual([]);
  });

  it('shows the entries and capacity gauges as the cache is when scraped', async () => {
    const { upstream, service, registry } = setup(3);
    expect(await gauge(registry, 'semicache_cache_capacity')).toBe(3);
    expect(await gauge(registry, 'semicache_cache_entries')).toBe(0);
    await warm(service, upstream, get([1, 2], [4n, 8n]));
    expect(await gauge(registry, 'semicache_cache_entries')).toBe(2);

    const timedOut = service.put({ op: 'PUT', indices: [1], values: [5n] });
    upstream.at(1).reject(new UpstreamError('UPSTREAM_TIMEOUT', 'slow', true));
    await expect(timedOut).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(await gauge(registry, 'semicache_cache_entries')).toBe(1);
    expect(service.snapshot()).toStrictEqual({
      policy: 'fifo',
      capacity: 3,
      size: 1,
      stats: { hits: 0, misses: 2, hitRatio: 0, evictions: 0 },
    });
  });

  it('stores written entries on acknowledgement, evicting the oldest when full', async () => {
    const { upstream, service } = setup(2);
    const write = service.put({ op: 'PUT', indices: [1, 2, 3], values: [1n, 2n, 3n] });
    expect(cached(service)).toStrictEqual([]);
    upstream.at(0).resolve(put([1, 2, 3], [1n, 2n, 3n]));
    await write;
    expect(cached(service)).toStrictEqual([
      [2, 2n],
      [3, 3n],
    ]);
  });

  it('gathers the misses of one turn into one upstream GET, each index once', async () => {
    const { upstream, service } = setup();
    const reads = [
      service.get({ op: 'GET', indices: [1, 2] }),
      service.get({ op: 'GET', indices: [2, 3] }),
      service.add({ op: 'ADD', indices: [3, 4] }),
    ];
    await nextTurn();
    expect(upstream.sent.map((s) => s.request)).toStrictEqual([
      { op: 'GET', indices: [1, 2, 3, 4] },
    ]);
    upstream.at(0).resolve(get([1, 2, 3, 4], [1n, 2n, 3n, 4n]));
    await expect(Promise.all(reads)).resolves.toStrictEqual([
      get([1, 2], [1n, 2n]),
      get([2, 3], [2n, 3n]),
      { op: 'ADD', indices: [3, 4], sum: 7n },
    ]);
  });

  it('retries each request alone when the server refuses the gathered GET', async () => {
    const { upstream, service } = setup();
    const good = service.get({ op: 'GET', indices: [1] });
    const bad = service.get({ op: 'GET', indices: [12] });
    await nextTurn();
    upstream.at(0).reject(new ProtocolError('BAD_INDEX', 'index 12 is outside 0..9'));
    await nextTurn();
    expect(upstream.sent.slice(1).map((s) => s.request)).toStrictEqual([
      { op: 'GET', indices: [1] },
      { op: 'GET', indices: [12] },
    ]);
    upstream.at(1).resolve(get([1], [10n]));
    upstream.at(2).reject(new ProtocolError('BAD_INDEX', 'index 12 is outside 0..9'));
    await expect(good).resolves.toStrictEqual(get([1], [10n]));
    await expect(bad).rejects.toMatchObject({ code: 'BAD_INDEX' });
  });

  it('sends the gathered misses before a write, keeping the order the proxy received them in', async () => {
    const { upstream, service } = setup();
    void service.get({ op: 'GET', indices: [1] });
    void service.put({ op: 'PUT', indices: [1], values: [5n] });
    void service.get({ op: 'GET', indices: [2] });
    void service.clear();
    await nextTurn();
    expect(upstream.sent.map((s) => s.request)).toStrictEqual([
      { op: 'GET', indices: [1] },
      { op: 'PUT', indices: [1], values: [5n] },
      { op: 'GET', indices: [2] },
      { op: 'CLR' },
    ]);
  });
});
