import { Inject, Injectable } from '@nestjs/common';
import {
  type AddReply,
  type AddRequest,
  type ClrReply,
  type GetReply,
  type GetRequest,
  type PutReply,
  type PutRequest,
  sumInt64,
} from '@semicache/protocol';
import { createPolicy } from '@semicache/policies';
import { SemicolonClient, UpstreamError } from '@semicache/transport';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { CacheMetrics } from './cache-metrics';
import { EntryCache } from './entry-cache';
import { FetchBatcher } from './fetch-batcher';

/** A write that reached the server but got no answer: the server may or may not have applied it. */
function outcomeUnknown(error: unknown): boolean {
  return error instanceof UpstreamError && error.wasSent;
}

/**
 * The proxy's domain logic (SPEC §4), knowing nothing of sockets: reads are served from the
 * cache where they hit and fetched from the server in one request where they miss (one request
 * for all the misses of a turn of the event loop, see FetchBatcher); writes go
 * through to the server first and reach the cache only once it acknowledged them.
 *
 * Consistency: a value fetched by a miss is stored only if no write (PUT or CLR) on its index
 * began or ended while the fetch was out, so a slow miss that raced a PUT can never put a stale
 * value back. Every write bumps `clock` when it begins and when it ends.
 */
@Injectable()
export class CacheService {
  readonly cache: EntryCache;
  private readonly batcher = new FetchBatcher((indices, since) => this.fetch(indices, since));
  private clock = 0;
  private readonly lastWriteAt = new Map<number, number>();
  /** Upstream GETs out, per index. */
  private readonly fetching = new Map<number, number>();
  private readonly writesInFlight = new Map<number, number>();
  private lastClearAt = 0;
  private clearsInFlight = 0;

  constructor(
    @Inject(PROXY_CONFIG) config: ProxyConfig,
    private readonly upstream: SemicolonClient,
    private readonly metrics: CacheMetrics,
  ) {
    this.cache = new EntryCache(createPolicy(config.eviction, config.capacity));
    metrics.capacity.set(config.capacity);
  }

  get(request: GetRequest): GetReply | Promise<GetReply> {
    const values = this.lookup(request.indices);
    if (values instanceof Promise) {
      return values.then((found) => ({ op: 'GET', indices: request.indices, values: found }));
    }
    return { op: 'GET', indices: request.indices, values };
  }

  add(request: AddRequest): AddReply | Promise<AddReply> {
    const values = this.lookup(request.indices);
    if (values instanceof Promise) {
      return values.then((found) => ({
        op: 'ADD',
        indices: request.indices,
        sum: sumInt64(found),
      }));
    }
    return { op: 'ADD', indices: request.indices, sum: sumInt64(values) };
  }

  async put(request: PutRequest): Promise<PutReply> {
    this.beginWrite(request.indices);
    this.batcher.flush();
    try {
      const reply = await this.upstream.request(request);
      const now = Date.now();
      for (let i = 0; i < request.indices.length; i++) {
        this.metrics.evicted(this.cache.store(request.indices[i], request.values[i], now));
      }
      return reply;
    } catch (error) {
      // The server may have applied it: drop those entries so the next read asks the server.
      if (outcomeUnknown(error)) for (const index of request.indices) this.cache.remove(index);
      throw error;
    } finally {
      this.endWrite(request.indices);
      this.metrics.entries.set(this.cache.size);
    }
  }

  async clear(): Promise<ClrReply> {
    this.clearsInFlight++;
    this.lastClearAt = ++this.clock;
    this.batcher.flush();
    try {
      const reply = await this.upstream.request({ op: 'CLR' });
      this.cache.clear();
      return reply;
    } catch (error) {
      if (outcomeUnknown(error)) this.cache.clear();
      throw error;
    } finally {
      this.clearsInFlight--;
      this.lastClearAt = ++this.clock;
      this.metrics.entries.set(this.cache.size);
    }
  }

  /**
   * Values for `indices` in order: from the cache now, or after one upstream GET for the misses.
   * An index with a write still in flight is a miss: the GET then reaches the server after that
   * write, so a client that pipelines PUT then GET reads its own write.
   */
  private lookup(indices: readonly number[]): bigint[] | Promise<bigint[]> {
    const values = new Array<bigint>(indices.length);
    let missing: number[] | undefined;
    for (let i = 0; i < indices.length; i++) {
      const value = this.writing(indices[i]) ? undefined : this.cache.lookup(indices[i]);
      if (value !== undefined) values[i] = value;
      else (missing ??= []).push(i);
    }
    const misses = missing?.length ?? 0;
    this.metrics.lookedUp(indices.length - misses, misses);
    if (missing === undefined) return values;
    const positions = missing;
    const wanted = [...new Set(positions.map((position) => indices[position]))];
    return this.batcher.fetch(wanted, this.clock).then((fetched) => {
      for (const position of positions) values[position] = fetched.get(indices[position])!;
      return values;
    });
  }

  /** One upstream GET; each value is cached unless a write on its index moved since `startedAt`. */
  private async fetch(indices: number[], startedAt: number): Promise<Map<number, bigint>> {
    for (const index of indices) this.fetching.set(index, (this.fetching.get(index) ?? 0) + 1);
    try {
      const reply = await this.upstream.request({ op: 'GET', indices });
      const fetched = new Map<number, bigint>();
      const now = Date.now();
      for (let i = 0; i < reply.indices.length; i++) {
        const index = reply.indices[i];
        fetched.set(index, reply.values[i]);
        if (this.unchangedSince(index, startedAt)) {
          this.metrics.evicted(this.cache.store(index, reply.values[i], now));
        }
      }
      this.metrics.entries.set(this.cache.size);
      return fetched;
    } finally {
      for (const index of indices) {
        const left = this.fetching.get(index)! - 1;
        if (left > 0) {
          this.fetching.set(index, left);
        } else {
          this.fetching.delete(index);
          this.lastWriteAt.delete(index);
        }
      }
    }
  }

  private writing(index: number): boolean {
    return this.clearsInFlight > 0 || this.writesInFlight.has(index);
  }

  private unchangedSince(index: number, time: number): boolean {
    return (
      !this.writing(index) && this.lastClearAt <= time && (this.lastWriteAt.get(index) ?? 0) <= time
    );
  }

  /** Only a fetch that is out reads when an index was last written, so only those are kept. */
  private wrote(index: number, time: number): void {
    if (this.fetching.has(index)) this.lastWriteAt.set(index, time);
  }

  private beginWrite(indices: readonly number[]): void {
    const now = ++this.clock;
    for (const index of indices) {
      this.wrote(index, now);
      this.writesInFlight.set(index, (this.writesInFlight.get(index) ?? 0) + 1);
    }
  }

  private endWrite(indices: readonly number[]): void {
    const now = ++this.clock;
    for (const index of indices) {
      this.wrote(index, now);
      const left = this.writesInFlight.get(index)! - 1;
      if (left === 0) this.writesInFlight.delete(index);
      else this.writesInFlight.set(index, left);
    }
  }
}
