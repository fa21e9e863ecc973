import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@semicache/runtime';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); null before the first lookup. */
  readonly hitRatio: number | null;
  readonly evictions: number;
}

/** Hit, miss and eviction counts, kept once and shown both by `/stats` and by `/metrics`. */
@Injectable()
export class CacheMetrics {
  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;
  private readonly hits: Counter;
  private readonly misses: Counter;
  private readonly evictions: Counter;
  readonly entries: Gauge;
  readonly capacity: Gauge;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.hits = new Counter({
      name: 'semicache_cache_hits_total',
      help: 'Indices looked up in the cache and found (each position of a GET or ADD counts once).',
      registers,
    });
    this.misses = new Counter({
      name: 'semicache_cache_misses_total',
      help: 'Indices looked up in the cache and not found, so fetched from the server.',
      registers,
    });
    this.evictions = new Counter({
      name: 'semicache_cache_evictions_total',
      help: 'Entries dropped to make room for a new one.',
      registers,
    });
    this.entries = new Gauge({
      name: 'semicache_cache_entries',
      help: 'Entries in the cache now.',
      registers,
    });
    this.capacity = new Gauge({
      name: 'semicache_cache_capacity',
      help: 'Entries the cache can hold.',
      registers,
    });
  }

  lookedUp(hits: number, misses: number): void {
    if (hits > 0) {
      this.hitCount += hits;
      this.hits.inc(hits);
    }
    if (misses > 0) {
      this.missCount += misses;
      this.misses.inc(misses);
    }
  }

  evicted(count: number): void {
    if (count === 0) return;
    this.evictionCount += count;
    this.evictions.inc(count);
  }

  stats(): CacheStats {
    const lookups = this.hitCount + this.missCount;
    return {
      hits: this.hitCount,
      misses: this.missCount,
      hitRatio: lookups === 0 ? null : this.hitCount / lookups,
      evictions: this.evictionCount,
    };
  }
}
