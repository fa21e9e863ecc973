import { EVICTION_POLICIES, type EvictionPolicyName, createPolicy } from '@semicache/policies';
import type { Reply, Request } from '@semicache/protocol';
import { type FailoverClient, UpstreamError } from '@semicache/transport';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CacheCoherence } from '../cache/cache-coherence';
import { CacheMetrics } from '../cache/cache-metrics';
import { CacheService } from '../cache/cache.service';
import { EntryCache } from '../cache/entry-cache';
import type { ProxyConfig } from '../config/proxy-config';
import { OPT_CHUNK } from './opt-window';
import { ShadowService, shadowRange } from './shadow.service';

/**
 * The server behind one ordered connection: it applies each request when it is sent, and the
 * replies come back in order, each some turns of the event loop later; a request the test marks
 * `lost` reached the server but its reply never comes (the outcome is unknown to the proxy).
 */
class OrderedServer {
  private readonly values = new Map<number, bigint>();
  private last: Promise<unknown> = Promise.resolve();
  /** Turns before each next reply, and whether the next write is lost; set by the workload. */
  nextDelay = 0;
  loseNext = false;

  request(request: Request): Promise<Reply> {
    const reply = this.apply(request);
    const lost = this.loseNext && request.op !== 'GET';
    this.loseNext = false;
    const delay = this.nextDelay;
    const answered = this.last.then(async () => {
      for (let turn = 0; turn < delay; turn++) await nextTurn();
      if (lost) throw new UpstreamError('UPSTREAM_TIMEOUT', 'no reply', true);
      return reply;
    });
    this.last = answered.catch(() => undefined);
    return answered;
  }

  private apply(request: Request): Reply {
    if (request.op === 'CLR') {
      this.values.clear();
      return { op: 'CLR' };
    }
    if (request.op === 'PUT') {
      request.indices.forEach((index, i) => this.values.set(index, request.values[i]));
      return request;
    }
    if (request.op === 'ADD') throw new Error('the proxy sums ADD itself');
    const values = request.indices.map((index) => this.values.get(index) ?? 0n);
    return { op: 'GET', indices: request.indices, values };
  }
}

function config(eviction: EvictionPolicyName, capacity: number, extra: Partial<ProxyConfig> = {}) {
  return {
    eviction,
    capacity,
    shadows: true,
    shadowMaxCapacity: undefined,
    traceWindow: 100_000,
    maxMessageLength: 64 * 1024,
    ...extra,
  } as ProxyConfig;
}

/** A proxy that listens for invalidations (subscribed from the start) in front of `server`. */
function proxyOver(server: OrderedServer, settings: ProxyConfig) {
  const shadows = new ShadowService(settings);
  const metrics = new CacheMetrics(new Registry());
  // The live cache's counts and the shadows' are fed by one stream of reports, as in the proxy.
  const cache = new EntryCache(createPolicy(settings.eviction, settings.capacity), [
    metrics,
    shadows,
  ]);
  const coherence = new CacheCoherence(cache, true);
  coherence.subscriptionBack();
  const upstream = server as unknown as FailoverClient;
  const service = new CacheService(settings, upstream, cache, metrics, coherence);
  return { shadows, metrics, service, coherence };
}

/**
 * One step of a live workload: a request (not awaited), a pause of some turns, an invalidation
 * from another proxy's write, or the invalidations' subscription lost or back.
 */
type Step =
  | { op: 'GET' | 'ADD'; indices: number[]; delay: number }
  | { op: 'PUT'; indices: number[]; delay: number; lost: boolean }
  | { op: 'CLR'; delay: number; lost: boolean }
  | { op: 'pause'; turns: number }
  | { op: 'invalidate'; index: number; value: number }
  | { op: 'subscription'; up: boolean };
const index = fc.nat(9);
const delay = fc.nat(3);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      op: fc.constantFrom('GET' as const, 'ADD' as const),
      indices: fc.array(index, { minLength: 1, maxLength: 3 }),
      delay,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('PUT' as const),
      indices: fc.uniqueArray(index, { minLength: 1, maxLength: 2 }),
      delay,
      lost: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('CLR' as const), delay, lost: fc.boolean() }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('pause' as const), turns: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('invalidate' as const), index, value: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('subscription' as const), up: fc.boolean() }),
  },
);

describe('ShadowService fed by the live cache', () => {
  it('counts in the live policy at the live capacity exactly the hits and misses of the live cache, whatever the races and invalidations', async () => {
    let raced = { bypassed: 0, skipped: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...EVICTION_POLICIES),
        fc.integer({ min: 1, max: 5 }),
        fc.array(step, { minLength: 20, maxLength: 150 }),
        async (policy, capacity, steps) => {
          const server = new OrderedServer();
          const { shadows, metrics, service, coherence } = proxyOver(
            server,
            config(policy, capacity),
          );
          const pending: Promise<unknown>[] = [];
          // Failures (writes whose reply is lost) are part of the workload: caught at once.
          const send = (reply: unknown) => pending.push(Promise.resolve(reply).catch(() => null));
          for (const next of steps) {
            if (next.op === 'pause') {
              for (let turn = 0; turn < next.turns; turn++) await nextTurn();
              continue;
            }
            if (next.op === 'invalidate') {
              const values = [String(next.value)];
              coherence.apply({ op: 'PUT', indices: [next.index], values, ackedAtUs: 1 });
              continue;
            }
            if (next.op === 'subscription') {
              if (next.up) coherence.subscriptionBack();
              else coherence.subscriptionLost();
              continue;
            }
            server.nextDelay = next.delay;
            server.loseNext = (next.op === 'PUT' || next.op === 'CLR') && next.lost;
            if (next.op === 'GET') send(service.get({ op: 'GET', indices: next.indices }));
            else if (next.op === 'ADD') send(service.add({ op: 'ADD', indices: next.indices }));
            else if (next.op === 'PUT') {
              const values = next.indices.map((i) => BigInt(i * 100 + steps.length));
              send(service.put({ op: 'PUT', indices: next.indices, values }));
            } else send(service.clear());
          }
          await Promise.allSettled(pending);
          const { hits, misses } = metrics.stats();
          const results = shadows.results();
          const live = results.find((r) => r.policy === policy && r.capacity === capacity);
          expect(live).toMatchObject({ hits, misses });
          // Every shadow saw every lookup.
          expect(new Set(results.map((r) => r.lookups))).toEqual(new Set([hits + misses]));
          const view = await shadows.view();
          raced = {
            bypassed: raced.bypassed + view.shadows.bypassedLookups,
            skipped: raced.skipped + view.shadows.skippedFills,
          };
        },
      ),
      { numRuns: 300 },
    );
    // The workloads did race: lookups that bypassed the cache, fills skipped.
    expect(raced.bypassed).toBeGreaterThan(0);
    expect(raced.skipped).toBeGreaterThan(0);
  });
});

describe('ShadowService', () => {
  it('shadows capacities 1..2×capacity (at most 64) unless told, and always the live one', () => {
    expect([shadowRange(5, undefined), shadowRange(40, undefined)]).toEqual([10, 64]);
    expect([shadowRange(5, 3), shadowRange(5, 20), shadowRange(100, 3)]).toEqual([5, 20, 64]);
  });

  it('starts afresh at a larger range when a new capacity needs it, and keeps its counts otherwise', async () => {
    const shadows = new ShadowService(config('fifo', 5));
    shadows.hit(undefined, 1);
    const first = await shadows.view();
    expect(first.shadows.maxCapacity).toBe(10);
    shadows.configured(undefined, 'lru', 3); // needs 6: the range stays
    let view = await shadows.view();
    expect(view.live).toEqual({ policy: 'lru', capacity: 3 });
    expect(view.shadows).toMatchObject({ maxCapacity: 10, since: first.shadows.since });
    expect(view.shadows.results[0].lookups).toBe(1);
    shadows.configured(undefined, 'lru', 8); // needs 16
    view = await shadows.view();
    expect(view.shadows.maxCapacity).toBe(16);
    expect(view.shadows.results).toHaveLength(6 * 16);
    expect(view.shadows.results.every((r) => r.lookups === 0)).toBe(true);
    expect(view.opt).toMatchObject({ entries: 0, lookups: 0, coversShadows: true });
  });

  it('shows OPT over the recent trace, and says when the window no longer covers the shadows', async () => {
    const shadows = new ShadowService(config('fifo', 1, { traceWindow: 3 }));
    for (const key of [1, 2, 1]) shadows.miss(undefined, key, 0, false);
    let view = await shadows.view();
    expect(view.opt).toMatchObject({ window: 3, entries: 3, lookups: 3, coversShadows: true });
    expect(view.opt.results.map((r) => `${r.capacity}: ${r.hits}/${r.misses}`)).toEqual([
      '1: 0/3',
      '2: 1/2',
    ]);
    shadows.written(undefined, 2);
    view = await shadows.view();
    expect(view.opt).toMatchObject({ entries: 3, lookups: 2, coversShadows: false });
  });
});

describe('ShadowService: OPT for GET /policies', () => {
  /** A proxy whose trace holds `lookups` lookups of a few keys. */
  function shadowsWith(lookups: number, extra: Partial<ProxyConfig> = {}) {
    const shadows = new ShadowService(config('lru', 4, { traceWindow: lookups, ...extra }));
    for (let i = 0; i < lookups; i++) shadows.miss(undefined, i % 97, 0, false);
    return shadows;
  }

  it('stops between chunks of the look-ahead once the budget is spent: not even capacity 1 past it', async () => {
    // Several chunks of work before capacity 1 is done; a budget of 0 is spent after the first.
    const view = await shadowsWith(4 * OPT_CHUNK).view(0);
    expect(view.opt).toMatchObject({ complete: false, results: [], budgetMs: 0 });
  });

  it('runs one OPT at a time: a request while it runs awaits it, even if the trace moved', async () => {
    const shadows = shadowsWith(1000);
    const first = shadows.view();
    shadows.miss(undefined, 5, 0, false);
    const second = shadows.view();
    const [a, b] = await Promise.all([first, second]);
    // One computation: the same result objects, over the trace as it was when it began.
    expect(b.opt.results).toBe(a.opt.results);
    expect(b.opt).toMatchObject({ entries: 1000, lookups: 1000 });
    // Once it is done, a moved trace gets a new one.
    const third = await shadows.view();
    expect(third.opt.results).not.toBe(a.opt.results);
    expect(third.opt.lookups).toBe(1000);
  });

  it('reports the budget a reused run ran with, not the asker’s', async () => {
    const shadows = shadowsWith(100);
    await shadows.view(5000);
    expect((await shadows.view(1000)).opt.budgetMs).toBe(5000);
  });

  it('shows the live policy as it was when the shadows were read, not after OPT ran', async () => {
    const shadows = shadowsWith(100);
    const pending = shadows.view();
    shadows.configured(undefined, 'arc', 40); // restarts the shadows at range 64
    const view = await pending;
    expect(view.live).toEqual({ policy: 'lru', capacity: 4 });
    expect(view.shadows.maxCapacity).toBe(8);
  });
});
