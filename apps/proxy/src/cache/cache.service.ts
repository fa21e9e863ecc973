import { Inject, Injectable } from '@nestjs/common';
import type { EventRecord } from '@semicache/events';
import {
  type AddReply,
  type AddRequest,
  type ClrReply,
  type GetReply,
  type GetRequest,
  type PutReply,
  ProtocolError,
  type PutRequest,
  sumInt64,
} from '@semicache/protocol';
import type { EvictionPolicyName } from '@semicache/policies';
import { FailoverClient, UpstreamError } from '@semicache/transport';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import type { CacheStats } from '@semicache/client';
import { CacheCoherence } from './cache-coherence';
import { CacheMetrics } from './cache-metrics';
import { type CachedEntry, EntryCache } from './entry-cache';
import { type Fetched, FetchBatcher } from './fetch-batcher';
import type { WriteFence } from './write-fence';
import { performance } from 'node:perf_hooks';

/** Whole µs since `started` (a `performance.now()` reading). */
const usSince = (started: number) => Math.round((performance.now() - started) * 1000);

/**
 * A write that reached the server but got no answer, or that the server could not complete with
 * its store: it may or may not have been applied.
 */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof UpstreamError) return error.wasSent;
  return error instanceof ProtocolError && error.code === 'STORE_UNAVAILABLE';
}

/** What the admin API shows of the cache at one moment. */
export interface CacheSnapshot {
  readonly policy: EvictionPolicyName;
  /** The rule it evicts by (`oldest`, `least-recent`). */
  readonly reason: string;
  readonly capacity: number;
  readonly size: number;
  readonly stats: CacheStats;
}

/** A change of the live cache (`PUT /config`): what is not given stays as it is. */
export interface CacheChange {
  readonly capacity?: number;
  readonly eviction?: EvictionPolicyName;
}

/** The cache after a change, and the indices the change evicted, in the order they went. */
export interface CacheChangeResult {
  readonly policy: EvictionPolicyName;
  readonly capacity: number;
  readonly size: number;
  readonly evicted: readonly number[];
}

/**
 * The proxy's domain logic, knowing nothing of sockets: reads are served from the cache where
 * they hit and fetched from the server in one request where they miss (one request for all the
 * misses of a turn of the event loop, see FetchBatcher); writes go through to the server first
 * and reach the cache only once it acknowledged them. The WriteFence decides which cached values
 * may be served and which fetched values may be stored while writes are in flight.
 *
 * Each operation takes the event of its request (from the transport, through the controller)
 * and passes it to the cache as the cause of what it does, so that every decision lands in it; a
 * request that goes to the server has the source `upstream` and the round trip as its wait.
 */
@Injectable()
export class CacheService {
  private readonly fence: WriteFence;
  private readonly batcher: FetchBatcher<EventRecord | undefined>;

  constructor(
    @Inject(PROXY_CONFIG) config: ProxyConfig,
    private readonly upstream: FailoverClient,
    private readonly cache: EntryCache<EventRecord>,
    private readonly metrics: CacheMetrics,
    private readonly coherence: CacheCoherence,
  ) {
    this.fence = coherence.fence;
    // The server is taken to accept messages as long as the proxy does (both 64 KiB by default).
    this.batcher = new FetchBatcher(
      {
        fetch: (indices, owners, since) => this.fetch(indices, owners, since),
        writeBeganSince: (indices, since) => this.fence.writeBeganSince(indices, since),
      },
      config.maxMessageLength,
    );
  }

  get(request: GetRequest, event?: EventRecord): GetReply | Promise<GetReply> {
    const values = this.lookup(request.indices, event);
    if (values instanceof Promise) {
      return values.then((found) => ({ op: 'GET', indices: request.indices, values: found }));
    }
    return { op: 'GET', indices: request.indices, values };
  }

  add(request: AddRequest, event?: EventRecord): AddReply | Promise<AddReply> {
    const values = this.lookup(request.indices, event);
    if (values instanceof Promise) {
      return values.then((found) => ({
        op: 'ADD',
        indices: request.indices,
        sum: sumInt64(found),
      }));
    }
    return { op: 'ADD', indices: request.indices, sum: sumInt64(values) };
  }

  async put(request: PutRequest, event?: EventRecord): Promise<PutReply> {
    const began = this.fence.writeStarted(request.indices);
    this.batcher.flush();
    if (event !== undefined) event.source = 'upstream';
    const sent = performance.now();
    try {
      const reply = await this.upstream.request(request);
      event?.waited(usSince(sent));
      const now = Date.now();
      for (let i = 0; i < request.indices.length; i++) {
        const [index, value] = [request.indices[i], request.values[i]];
        if (this.coherence.mayStoreWritten(index, value, began)) {
          this.cache.store(index, value, now, event, true);
        } else this.cache.remove(index, event);
      }
      return reply;
    } catch (error) {
      event?.waited(usSince(sent));
      // The server may have applied it: drop those entries so the next read asks the server.
      if (outcomeUnknown(error)) {
        for (const index of request.indices) this.cache.remove(index, event);
      }
      throw error;
    } finally {
      this.fence.writeEnded(request.indices);
    }
  }

  async clear(event?: EventRecord): Promise<ClrReply> {
    this.fence.clearStarted();
    this.batcher.flush();
    if (event !== undefined) event.source = 'upstream';
    const sent = performance.now();
    try {
      const reply = await this.upstream.request({ op: 'CLR' });
      event?.waited(usSince(sent));
      this.cache.clear(event);
      return reply;
    } catch (error) {
      event?.waited(usSince(sent));
      if (outcomeUnknown(error)) this.cache.clear(event);
      throw error;
    } finally {
      this.fence.clearEnded();
    }
  }

  snapshot(): CacheSnapshot {
    const { cache } = this;
    return {
      policy: cache.policy.name,
      reason: cache.policy.reason,
      capacity: cache.capacity,
      size: cache.size,
      stats: this.metrics.stats(),
    };
  }

  /**
   * Changes the live cache's policy, capacity or both (what is not given stays), keeping its
   * entries; a smaller capacity evicts by the new policy (see EntryCache.reconfigure), each
   * eviction a decision of `event` (the change's own, op CONFIG).
   */
  configure(change: CacheChange, event?: EventRecord): CacheChangeResult {
    const { cache } = this;
    const evicted = cache.reconfigure(
      change.eviction ?? cache.policy.name,
      change.capacity ?? cache.capacity,
      Date.now(),
      event,
    );
    return { policy: cache.policy.name, capacity: cache.capacity, size: cache.size, evicted };
  }

  /** Every cached entry, in eviction order: the entry that goes next comes first. */
  entries(): CachedEntry[] {
    return this.cache.entries();
  }

  /**
   * Values for `indices` in order: from the cache now, or after one upstream GET for the misses.
   * An index with a write still in flight is a miss: the GET then reaches the server after that
   * write, so a client that pipelines PUT then GET reads its own write.
   */
  private lookup(indices: readonly number[], event?: EventRecord): bigint[] | Promise<bigint[]> {
    // The request's own start time where there is one: no clock read on the hit path.
    const now = event === undefined ? Date.now() : event.startTime;
    const values = new Array<bigint>(indices.length);
    let missing: number[] | undefined;
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i];
      const value = this.coherence.mayServe(index)
        ? this.cache.lookup(index, event, now)
        : this.cache.missBypassed(index, event, now);
      if (value !== undefined) values[i] = value;
      else (missing ??= []).push(i);
    }
    if (missing === undefined) return values;
    if (event !== undefined) event.source = 'upstream';
    const asked = performance.now();
    const positions = missing;
    const wanted = [...new Set(positions.map((position) => indices[position]))];
    const since = this.fence.readStarted(wanted);
    return this.batcher.fetch(wanted, since, event).then(
      (fetched) => {
        this.fence.readEnded(wanted);
        event?.waited(fetched.upstreamUs);
        for (const position of positions) values[position] = fetched.values.get(indices[position])!;
        return values;
      },
      (error: unknown) => {
        this.fence.readEnded(wanted);
        event?.waited(usSince(asked));
        throw error;
      },
    );
  }

  /**
   * One upstream GET; each value is cached if the fence allows it (see WriteFence.mayStore), for
   * the first request that asked for it (its event gets the `stored` or `skipped` decision).
   */
  private async fetch(
    indices: number[],
    owners: (EventRecord | undefined)[],
    since: number,
  ): Promise<Fetched> {
    const sent = performance.now();
    const reply = await this.upstream.request({ op: 'GET', indices });
    const upstreamUs = usSince(sent);
    const values = new Map<number, bigint>();
    const now = Date.now();
    for (let i = 0; i < reply.indices.length; i++) {
      const index = reply.indices[i];
      const value = reply.values[i];
      values.set(index, value);
      if (this.coherence.mayStore(index, since)) this.cache.store(index, value, now, owners[i]);
      else this.cache.skipFill(index, value, owners[i]);
    }
    return { values, upstreamUs };
  }
}
