import { Inject, Injectable } from '@nestjs/common';
import {
  type CounterSlot,
  HotCounter,
  HotHistogram,
  type HistogramSlot,
  METRICS_REGISTRY,
} from '@semicache/runtime';
import type { CacheStats } from '@semicache/client';
import { Gauge, type Registry } from 'prom-client';
import type { CacheListener } from './cache-listener';
import { EntryCache } from './entry-cache';

/** Ages of evicted entries, from 10 ms (a busy small cache) to an hour (a quiet one). */
export const EVICTED_AGE_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Hit, miss and eviction counts, kept once and shown both by `/stats` and by `/metrics`, and the
 * ages of evicted entries; fed by the cache's own reports (a CacheListener).
 */
@Injectable()
export class CacheMetrics implements CacheListener<unknown> {
  // Counted on every request: plain numbers that prom-client reads when scraped.
  private readonly hits: CounterSlot;
  private readonly misses: CounterSlot;
  private readonly evictions: CounterSlot;
  private readonly evictedAge: HistogramSlot;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
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
    this.evictedAge = new HotHistogram(
      'semicache_cache_evicted_age_seconds',
      'How long evicted entries had been in the cache (since stored or last written).',
      EVICTED_AGE_BUCKETS,
      registry,
    ).slot({});
  }

  hit(): void {
    this.hits.count++;
  }

  miss(): void {
    this.misses.count++;
  }

  evicted(_cause: unknown, _index: number, ageMs: number): void {
    this.evictions.count++;
    this.evictedAge.observe(ageMs / 1000);
  }

  stored(): void {}
  skipped(): void {}
  written(): void {}
  dropped(): void {}
  cleared(): void {}
  configured(): void {}

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

/** The cache's size and capacity as gauges, read from the cache when scraped. */
@Injectable()
export class CacheGauges {
  constructor(@Inject(METRICS_REGISTRY) registry: Registry, cache: EntryCache) {
    const registers = [registry];
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
}
