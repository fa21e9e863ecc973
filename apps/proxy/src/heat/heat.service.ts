import { Inject, Injectable } from '@nestjs/common';
import type { HeatView } from '@semicache/client';
import { METRICS_REGISTRY } from '@semicache/runtime';
import { Counter, type Registry } from 'prom-client';
import type { CacheListener } from '../cache/cache-listener';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { type IndexCounts, HeatTable } from './heat-table';

/** The per-index counters Prometheus gets, for the hottest indices only. */
const SERIES = [
  ['lookups', 'Lookups of the index (hits + misses)'],
  ['hits', 'Lookups of the index found in the cache'],
  ['misses', 'Lookups of the index fetched from the server'],
  ['writes', 'Writes of the index through the proxy'],
  ['evictions', 'Evictions of the index from the cache'],
] as const;

/** How long one ranking serves the scrape that made it (its five counter families). */
const RANKING_TTL_MS = 100;

/**
 * Per-index heat, fed by the cache's reports: `GET /heat`, and Prometheus series
 * (`semicache_index_lookups_total{index}` and the like) for the `--heat-series` hottest indices
 * only, so that a large table never makes too many series. An index leaving the hottest has its
 * series vanish; back among them, it shows its total again.
 */
@Injectable()
export class HeatService implements CacheListener<unknown> {
  private readonly table: HeatTable;
  private ranking: { readonly at: number; readonly top: IndexCounts[] } | undefined;

  constructor(
    @Inject(PROXY_CONFIG) private readonly config: ProxyConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.table = new HeatTable(config.heatLimit);
    for (const [field, help] of SERIES) {
      const hottest = () => this.hottest();
      new Counter({
        name: `semicache_index_${field}_total`,
        help: `${help}, for the --heat-series indices with the most lookups.`,
        labelNames: ['index'],
        registers: [registry],
        collect() {
          this.reset();
          for (const counts of hottest()) this.inc({ index: String(counts.index) }, counts[field]);
        },
      });
    }
  }

  hit(_cause: unknown, index: number, now: number): void {
    this.table.lookedUp(index, true, now);
  }

  miss(_cause: unknown, index: number, now: number): void {
    this.table.lookedUp(index, false, now);
  }

  written(_cause: unknown, index: number, _value: bigint, now: number): void {
    this.table.written(index, now);
  }

  evicted(_cause: unknown, index: number): void {
    this.table.evicted(index);
  }

  stored(): void {}
  skipped(): void {}
  dropped(): void {}
  cleared(): void {}
  configured(): void {}

  /** The `limit` indices with the most lookups, for `GET /heat`. */
  view(limit: number): HeatView {
    const now = Date.now();
    return {
      limit: this.table.limit,
      tracked: this.table.size,
      exact: this.table.exact,
      indices: this.table.top(limit).map((counts) => ({
        ...counts,
        lastAccess: new Date(counts.lastAccess).toISOString(),
        idleMs: Math.round(now - counts.lastAccess),
      })),
    };
  }

  /** The `--heat-series` hottest, ranked once for all the counter families of a scrape. */
  private hottest(): IndexCounts[] {
    const now = Date.now();
    if (this.ranking === undefined || now - this.ranking.at > RANKING_TTL_MS) {
      this.ranking = { at: now, top: this.table.top(this.config.heatSeries) };
    }
    return this.ranking.top;
  }
}
