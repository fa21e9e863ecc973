import { Inject, Injectable } from '@nestjs/common';
import { type CounterSlot, HotCounter, METRICS_REGISTRY } from '@semicache/runtime';
import type { CacheStats } from '@semicache/client';
import { Gauge, type Registry } from 'prom-client';
import { EntryCache } from './entry-cache';

/**
 * Hit, miss and eviction counts, kept once and shown both by `/stats` and by `/metrics`, and the
 * cache's size and capacity as gauges.
 */
@Injectable()
export class CacheMetrics {
  // Counted on every request: plain numbers that prom-client reads when scraped.
  private readonly hits: CounterSlot;
  private readonly misses: CounterSlot;
  private readonly evictions: CounterSlot;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, cache: EntryCache) {
    const registers = [registry];
    const counter = (name: string, help: string) =>
      new HotCounter({ name, help, labelNames: [], registers }).slot({});
    this.hits = counter(
      'semicache_cache_hits_total',
      'Indices looked up in the cache and found (each position of a GET or ADD counts once).',
    );
    this.misses = counter(
      'semicache_cache_misses_total',
      'Indices looked up in the cache and not found, so fetched from the server.',
    );
    this.evictions = counter(
      'semicache_cache_evictions_total',
      'Entries dropped to make room for a new one.',
    );
    // The gauges read the cache when scraped, so nothing has to keep them up to date.
    new Gauge({
      name: 'semicache_cache_entries',
      help: 'Entries in the cache now.',
      registers,
      collect() {
        this.set(cache.size);
      },
    });
    new Gauge({
      name: 'semicache_cache_capacity',
      help: 'Entries the cache can hold.',
      registers,
      collect() {
        this.set(cache.capacity);
      },
    });
    // Labels that a query can join on, e.g. the shadows' hit ratio at the live capacity.
    new Gauge({
      name: 'semicache_cache_policy_info',
      help: "The live cache's eviction policy and capacity, as labels (the value is always 1).",
      labelNames: ['policy', 'capacity'],
      registers,
      collect() {
        this.reset();
        this.set({ policy: cache.policy.name, capacity: String(cache.capacity) }, 1);
      },
    });
  }

  lookedUp(hits: number, misses: number): void {
    this.hits.count += hits;
    this.misses.count += misses;
  }

  evicted(count: number): void {
    this.evictions.count += count;
  }

  stats(): CacheStats {
    const hits = this.hits.count;
    const misses = this.misses.count;
    return {
      hits,
      misses,
      hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
      evictions: this.evictions.count,
    };
  }
}
