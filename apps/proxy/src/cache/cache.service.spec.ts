import {
  type GetReply,
  ProtocolError,
  type Reply,
  type Request,
  serializeRequest,
} from '@semicache/protocol';
import { type FailoverClient, UpstreamError } from '@semicache/transport';
import { EventLog, type EventRecord, eventJson } from '@semicache/events';
import type { Decision, DecisionEvent } from '@semicache/client';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import type { ProxyConfig } from '../config/proxy-config';
import { CacheCoherence } from './cache-coherence';
import { CacheGauges, CacheMetrics } from './cache-metrics';
import { CacheService } from './cache.service';
import { DECISION_EVENTS } from './decision-events';
import { EntryCache } from './entry-cache';
import { createPolicy } from '@semicache/policies';

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

/**
 * A server as the proxy sees it through its one ordered connection: it applies each request
 * when it is sent, in send order, and answers a moment later. Its table has `size` entries, all 0
 * at start, and it refuses messages longer than `maxLength`.
 */
class TableUpstream {
  readonly sent: Request[] = [];
  private readonly values = new Map<number, bigint>();

  constructor(
    private size: number,
    private readonly maxLength = 64 * 1024,
  ) {}

  /** Writes straight to the table, as a client of the server would behind the proxy. */
  seed(index: number, value: bigint): void {
    this.values.set(index, value);
  }

  /** The server restarts with a table of `size` entries, all 0. */
  restart(size: number): void {
    this.size = size;
    this.values.clear();
  }

  request(request: Request): Promise<Reply> {
    this.sent.push(request);
    // What apply throws becomes the rejection, as with a real upstream.
    return new Promise((resolve) => resolve(this.apply(request)));
  }

  private apply(request: Request): Reply {
    const length = serializeRequest(request).length;
    if (length > this.maxLength) throw new ProtocolError('TOO_LONG', `${length} bytes`);
    if (request.op === 'ADD') throw new Error('the proxy sums ADD itself');
    if (request.op === 'CLR') {
      this.values.clear();
      return { op: 'CLR' };
    }
    const outside = request.indices.find((index) => index >= this.size);
    if (outside !== undefined) {
      throw new ProtocolError('BAD_INDEX', `index ${outside} is outside 0..${this.size - 1}`);
    }
    if (request.op === 'PUT') {
      request.indices.forEach((index, i) => this.values.set(index, request.values[i]));
      return { op: 'PUT', indices: request.indices, values: request.values };
    }
    const values = request.indices.map((index) => this.values.get(index) ?? 0n);
    return { op: 'GET', indices: request.indices, values };
  }
}

function serviceOver<U extends TableUpstream | ScriptedUpstream>(
  upstream: U,
  capacity = 5,
  maxMessageLength = 64 * 1024,
  listening = false,
) {
  const registry = new Registry();
  const metrics = new CacheMetrics(registry);
  const cache = new EntryCache(createPolicy('fifo', capacity), [metrics, DECISION_EVENTS]);
  new CacheGauges(registry, cache);
  const coherence = new CacheCoherence(cache, listening);
  const service = new CacheService(
    { maxMessageLength } as ProxyConfig,
    upstream as unknown as FailoverClient,
    cache,
    metrics,
    coherence,
  );
  return { upstream, service, registry, coherence };
}

const setup = (capacity = 5) => serviceOver(new ScriptedUpstream(), capacity);

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
      reason: 'oldest',
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
    await warm(service, upstream, get([9], [9n])); // the server has indices 0..9
    upstream.sent.length = 0;
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

  it('retries each request alone when the server refuses the gathered GET and nothing was written since', async () => {
    const { upstream, service } = setup();
    await warm(service, upstream, get([19], [0n])); // then the server restarts with 10 entries
    upstream.sent.length = 0;
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

describe('CacheService in front of a server that applies requests in the order sent', () => {
  const PIPELINE = [
    { op: 'GET', indices: [1] },
    { op: 'GET', indices: [12] },
    { op: 'PUT', indices: [1], values: [5n] },
  ] as const;

  /** What the service answers to PIPELINE, received in one turn as from one pipelining client. */
  function pipeline(service: CacheService) {
    return Promise.allSettled([
      service.get(PIPELINE[0]),
      service.get(PIPELINE[1]),
      service.put(PIPELINE[2]),
    ]);
  }

  const BAD_INDEX_12 = { code: 'BAD_INDEX', message: 'index 12 is outside 0..9' };

  it('answers a GET pipelined before a PUT of its index with the value from before the PUT', async () => {
    const { upstream, service } = serviceOver(new TableUpstream(10));
    expect(await pipeline(service)).toMatchObject([
      { status: 'fulfilled', value: get([1], [0n]) },
      { status: 'rejected', reason: BAD_INDEX_12 },
      { status: 'fulfilled', value: put([1], [5n]) },
    ]);
    // Nothing is known of the server yet: each read went alone, and before the write.
    expect(upstream.sent).toStrictEqual([...PIPELINE]);
  });

  it('fails that GET rather than answer it with the later write once the server has shrunk', async () => {
    const { upstream, service } = serviceOver(new TableUpstream(20));
    await service.get({ op: 'GET', indices: [15] }); // the server has indices 0..15 at least
    upstream.restart(10);
    upstream.sent.length = 0;

    expect(await pipeline(service)).toMatchObject([
      {
        status: 'rejected',
        reason: {
          code: 'UPSTREAM_UNAVAILABLE',
          message:
            'the server refused this read combined with others (BAD_INDEX: index 12 is outside 0..9)' +
            ' and a write on its indices has been sent since: read again',
        },
      },
      { status: 'rejected', reason: BAD_INDEX_12 },
      { status: 'fulfilled', value: put([1], [5n]) },
    ]);
    expect(upstream.sent).toStrictEqual([
      { op: 'GET', indices: [1, 12] },
      PIPELINE[2],
      PIPELINE[1], // retried alone: nothing was written on 12
    ]);

    // The refusal taught the proxy that it no longer knows the server: unknown indices go alone.
    upstream.sent.length = 0;
    expect(
      await Promise.allSettled([
        service.get({ op: 'GET', indices: [3] }),
        service.get({ op: 'GET', indices: [12] }),
      ]),
    ).toMatchObject([
      { status: 'fulfilled', value: get([3], [0n]) },
      { status: 'rejected', reason: BAD_INDEX_12 },
    ]);
    expect(upstream.sent).toStrictEqual([
      { op: 'GET', indices: [3] },
      { op: 'GET', indices: [12] },
    ]);
  });

  it('retries a refused read alone when no write on its indices was sent after it', async () => {
    const { service, upstream } = serviceOver(new TableUpstream(20));
    await service.get({ op: 'GET', indices: [15] });
    upstream.restart(10);
    upstream.seed(3, 30n);
    upstream.seed(4, 40n);
    upstream.sent.length = 0;

    expect(
      await Promise.allSettled([
        service.add({ op: 'ADD', indices: [3, 4] }),
        service.get({ op: 'GET', indices: [12] }),
        service.put({ op: 'PUT', indices: [2], values: [9n] }),
      ]),
    ).toMatchObject([
      { status: 'fulfilled', value: { op: 'ADD', indices: [3, 4], sum: 70n } },
      { status: 'rejected', reason: BAD_INDEX_12 },
      { status: 'fulfilled', value: put([2], [9n]) },
    ]);
    expect(upstream.sent).toStrictEqual([
      { op: 'GET', indices: [3, 4, 12] },
      { op: 'PUT', indices: [2], values: [9n] },
      { op: 'GET', indices: [3, 4] },
      { op: 'GET', indices: [12] },
    ]);
  });

  it('gathers only indices the server is known to have, in GETs no longer than a message may be', async () => {
    // 40 bytes: "OP=GET;IND=" and ";" leave 28 for the indices, four of six digits.
    const { upstream, service } = serviceOver(new TableUpstream(1_000_000), 5, 40);
    await service.get({ op: 'GET', indices: [999_999] });
    upstream.sent.length = 0;
    const indices = [100_000, 100_001, 100_002, 100_003, 100_004, 100_005];
    const replies = await Promise.all(
      indices.map((index) => service.get({ op: 'GET', indices: [index] })),
    );
    expect(replies.map((reply) => reply.values)).toStrictEqual(indices.map(() => [0n]));
    expect(upstream.sent).toStrictEqual([
      { op: 'GET', indices: [100_000, 100_001, 100_002, 100_003] },
      { op: 'GET', indices: [100_004, 100_005] },
    ]);
    expect(upstream.sent.map((request) => serializeRequest(request).length)).toStrictEqual([
      39, 25,
    ]);
  });

  it('learns a shorter limit from a gathered GET refused as TOO_LONG', async () => {
    // The server takes 20 bytes, the proxy assumes 40.
    const { upstream, service } = serviceOver(new TableUpstream(100, 20), 5, 40);
    await service.get({ op: 'GET', indices: [99] });
    const read = (indices: number[]) =>
      Promise.all(indices.map((index) => service.get({ op: 'GET', indices: [index] })));

    upstream.sent.length = 0;
    await read([10, 11, 12, 13]);
    expect(upstream.sent.map((request) => serializeRequest(request))).toStrictEqual([
      'OP=GET;IND=10,11,12,13;', // 23 bytes: TOO_LONG, and nothing written since
      'OP=GET;IND=10;',
      'OP=GET;IND=11;',
      'OP=GET;IND=12;',
      'OP=GET;IND=13;',
    ]);

    upstream.sent.length = 0;
    await read([20, 21, 22, 23]);
    expect(upstream.sent.map((request) => serializeRequest(request))).toStrictEqual([
      'OP=GET;IND=20,21,22;',
      'OP=GET;IND=23;',
    ]);
  });
});

describe('CacheService with invalidations (writes made through other proxies)', () => {
  /** A write elsewhere set `index` to `value`: the invalidation the servers publish. */
  const invalidation = (indices: number[], values: bigint[]) => ({
    op: 'PUT' as const,
    indices,
    values: values.map(String),
    ackedAtUs: 1,
  });

  it('drops the entries named, except one that holds the very value named', async () => {
    const { upstream, service, coherence } = setup();
    await warm(service, upstream, get([1, 2], [0n, 0n]));
    // 1 holds the value named and 3 is not cached: nothing to drop.
    expect(coherence.drops(invalidation([1, 3], [0n, 9n]))).toBe(false);
    const write = invalidation([1, 2, 3], [0n, 9n, 9n]);
    expect(coherence.drops(write)).toBe(true);
    coherence.apply(write);
    expect(cached(service)).toStrictEqual([[1, 0n]]);
    coherence.apply({ op: 'CLR', ackedAtUs: 1 });
    expect(cached(service)).toStrictEqual([]);
  });

  it('does not cache a fill that an invalidation of its index overtook', async () => {
    const { upstream, service, coherence } = setup();
    const slowRead = service.get({ op: 'GET', indices: [1] });
    await nextTurn();
    // Another proxy's PUT of 1=5 is applied after the server answered the read with 0.
    coherence.apply(invalidation([1], [5n]));
    upstream.at(0).resolve(get([1], [0n]));
    await expect(slowRead).resolves.toStrictEqual(get([1], [0n]));
    expect(cached(service)).toStrictEqual([]);
  });

  it('does not cache its own PUT when an invalidation of another value of the index came before the acknowledgement', async () => {
    const { upstream, service, coherence } = setup();
    await warm(service, upstream, get([1], [0n]));
    const write = service.put({ op: 'PUT', indices: [1], values: [5n] });
    // The server applied this PUT, then another proxy's PUT of 7, and answers this one late.
    coherence.apply(invalidation([1], [5n]));
    coherence.apply(invalidation([1], [7n]));
    upstream.at(1).resolve(put([1], [5n]));
    await write;
    expect(cached(service)).toStrictEqual([]);

    // Its own invalidation alone (the value it wrote) does not stop it.
    const again = service.put({ op: 'PUT', indices: [1], values: [8n] });
    coherence.apply(invalidation([1], [8n]));
    upstream.at(2).resolve(put([1], [8n]));
    await again;
    expect(cached(service)).toStrictEqual([[1, 8n]]);
  });

  it('serves and stores nothing while not subscribed, empties the cache on loss, and stores no fill begun before the subscription came back', async () => {
    const { upstream, service, coherence } = serviceOver(
      new ScriptedUpstream(),
      5,
      64 * 1024,
      true,
    );
    await warm(service, upstream, get([1], [10n]));
    expect(cached(service)).toStrictEqual([]); // not subscribed yet
    coherence.subscriptionBack();
    await warm(service, upstream, get([1], [10n]));
    expect(service.get({ op: 'GET', indices: [1] })).toStrictEqual(get([1], [10n])); // a hit

    expect(coherence.subscriptionLost()).toStrictEqual([1]);
    const read = service.get({ op: 'GET', indices: [1] }); // no hit: asks the server
    await nextTurn();
    expect(upstream.sent).toHaveLength(3);
    coherence.subscriptionBack();
    upstream.at(2).resolve(get([1], [10n]));
    await read;
    expect(cached(service)).toStrictEqual([]); // the read may predate a write that was missed
  });
});

describe("CacheService: the decisions it writes into each request's event", () => {
  const log = new EventLog({
    app: 'proxy',
    capacity: 10,
    sources: ['cache', 'upstream'],
    waitField: 'upstreamUs',
  });

  /** A fresh event for a request on connection 1, as the transport begins one. */
  function eventFor(op: string, indices: number[] = []): EventRecord {
    const event = log.take();
    event.begin(1, performance.now(), log.defaultSource);
    event.request(op, indices);
    return event;
  }

  /** The event as its JSON says once answered. */
  function json(event: EventRecord): DecisionEvent {
    event.finish(performance.now());
    return JSON.parse(eventJson(event, 'proxy', 'upstreamUs')) as DecisionEvent;
  }

  const kinds = (event: EventRecord) =>
    json(event).decisions.map((decision: Decision) =>
      'index' in decision ? `${decision.kind} ${decision.index}` : decision.kind,
    );

  it('hits from the cache only: source cache, no wait', async () => {
    const { upstream, service } = setup();
    await warm(service, upstream, get([1, 2], [10n, 20n]));
    const event = eventFor('GET', [2, 1]);
    expect(service.get({ op: 'GET', indices: [2, 1] }, event)).toStrictEqual(
      get([2, 1], [20n, 10n]),
    );
    expect(json(event)).toMatchObject({
      source: 'cache',
      decisions: [
        { kind: 'hit', index: 2 },
        { kind: 'hit', index: 1 },
      ],
    });
    expect(json(event).upstreamUs).toBeUndefined();
  });

  it("shares one fetch's round trip between the requests batched in it, and stores each index once", async () => {
    const { upstream, service } = setup(2);
    // The proxy learns the server holds 0..9, so it combines requests for those.
    await warm(service, upstream, get([5, 9], [50n, 90n]));
    const first = eventFor('GET', [7, 5]);
    const second = eventFor('ADD', [7, 8]);
    const reads = [
      service.get({ op: 'GET', indices: [7, 5] }, first),
      service.add({ op: 'ADD', indices: [7, 8] }, second),
    ];
    await nextTurn();
    expect(upstream.sent.map((s) => s.request)).toStrictEqual([
      { op: 'GET', indices: [5, 9] },
      { op: 'GET', indices: [7, 8] },
    ]);
    upstream.at(1).resolve(get([7, 8], [70n, 80n]));
    await Promise.all(reads);
    const [a, b] = [json(first), json(second)];
    expect(a.source).toBe('upstream');
    expect(a.upstreamUs).toBe(b.upstreamUs);
    expect(a.decisions).toEqual([
      { kind: 'miss', index: 7, upstreamUs: a.upstreamUs },
      { kind: 'hit', index: 5 },
      // 7 was fetched for both; its storing (and the eviction it took) is the first's.
      { kind: 'evicted', index: 5, ageMs: expect.any(Number), reason: 'oldest' },
      { kind: 'stored', index: 7, value: '70' },
    ]);
    expect(b.decisions).toEqual([
      { kind: 'miss', index: 7, upstreamUs: a.upstreamUs },
      { kind: 'miss', index: 8, upstreamUs: a.upstreamUs },
      { kind: 'evicted', index: 9, ageMs: expect.any(Number), reason: 'oldest' },
      { kind: 'stored', index: 8, value: '80' },
    ]);
  });

  it('marks a fill that a PUT raced as skipped, and the PUT as written', async () => {
    const { upstream, service } = setup();
    const readEvent = eventFor('GET', [1]);
    const slowRead = service.get({ op: 'GET', indices: [1] }, readEvent);
    await nextTurn();
    const writeEvent = eventFor('PUT', [1]);
    const write = service.put({ op: 'PUT', indices: [1], values: [5n] }, writeEvent);
    upstream.at(0).resolve(get([1], [0n]));
    await slowRead;
    upstream.at(1).resolve(put([1], [5n]));
    await write;
    expect(kinds(readEvent)).toEqual(['miss 1', 'skipped 1']);
    expect(json(readEvent).decisions[1]).toEqual({ kind: 'skipped', index: 1, value: '0' });
    expect(json(writeEvent)).toMatchObject({
      source: 'upstream',
      upstreamUs: expect.any(Number),
      decisions: [{ kind: 'written', index: 1, value: '5' }],
    });
  });

  it('drops the entries of a PUT whose outcome is unknown, and a CLR clears', async () => {
    const { upstream, service } = setup();
    await warm(service, upstream, get([1, 2], [4n, 8n]));
    const lostWrite = eventFor('PUT', [1, 3]);
    const timedOut = service.put({ op: 'PUT', indices: [1, 3], values: [5n, 6n] }, lostWrite);
    upstream.at(1).reject(new UpstreamError('UPSTREAM_TIMEOUT', 'slow', true));
    await expect(timedOut).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    // 3 was not cached: nothing to drop.
    expect(kinds(lostWrite)).toEqual(['dropped 1']);

    const clear = eventFor('CLR');
    const cleared = service.clear(clear);
    upstream.at(2).resolve({ op: 'CLR' });
    await cleared;
    expect(json(clear).decisions).toEqual([{ kind: 'cleared', entries: 1 }]);
  });

  it('a miss that fails still has its wait', async () => {
    const { upstream, service } = setup();
    const event = eventFor('GET', [4]);
    const read = service.get({ op: 'GET', indices: [4] }, event);
    await nextTurn();
    upstream.at(0).reject(new ProtocolError('BAD_INDEX', 'index 4 is outside 0..3'));
    await expect(read).rejects.toMatchObject({ code: 'BAD_INDEX' });
    expect(json(event).decisions).toEqual([
      { kind: 'miss', index: 4, upstreamUs: expect.any(Number) },
    ]);
  });
});
