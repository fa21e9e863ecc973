import { Inject, Injectable } from '@nestjs/common';
import type { InvalidationStats } from '@semicache/client';
import { METRICS_REGISTRY } from '@semicache/runtime';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { CacheCoherence } from './cache-coherence';

/** From a write's acknowledgement at the server to its invalidation applied here. */
const LAG_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** /stats shows the percentiles of the last this many lags. */
const RECENT_LAGS = 4096;

/**
 * How late invalidations are applied, how many, and whether the proxy is subscribed; shown by
 * `/metrics` and `/stats`. Only with `--invalidation` (without it the proxy exports none).
 */
@Injectable()
export class InvalidationMetrics {
  private readonly lag: Histogram | undefined;
  private readonly applied: Counter<'op'> | undefined;
  private readonly recent = new Float64Array(RECENT_LAGS);
  private observed = 0;
  private maxLag: number | null = null;
  private readonly counts = { PUT: 0, CLR: 0 };
  private resets = 0;

  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(PROXY_CONFIG) config: ProxyConfig,
    private readonly coherence: CacheCoherence,
  ) {
    if (config.invalidation === undefined) return;
    const registers = [registry];
    this.lag = new Histogram({
      name: 'semicache_invalidation_lag_seconds',
      help: 'From a write acknowledged at the server (through any proxy) to its invalidation applied by this proxy.',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.applied = new Counter({
      name: 'semicache_invalidations_total',
      help: 'Invalidations applied (writes made through any proxy, published by the servers), by OP.',
      labelNames: ['op'],
      registers,
    });
    for (const op of ['PUT', 'CLR']) this.applied.inc({ op }, 0);
    new Gauge({
      name: 'semicache_invalidation_subscribed',
      help: '1 while the proxy receives invalidations (and so uses its cache), else 0.',
      registers,
      collect() {
        this.set(coherence.subscribed ? 1 : 0);
      },
    });
  }

  /** An invalidation applied, `lagSeconds` after its write was acknowledged. */
  invalidationApplied(op: 'PUT' | 'CLR', lagSeconds: number): void {
    this.counts[op]++;
    this.applied?.inc({ op });
    this.lag?.observe(Math.max(0, lagSeconds));
    this.recent[this.observed++ % RECENT_LAGS] = lagSeconds;
    if (this.maxLag === null || lagSeconds > this.maxLag) this.maxLag = lagSeconds;
  }

  /** The cache was emptied because invalidations may have been missed. */
  cacheReset(): void {
    this.resets++;
  }

  stats(): InvalidationStats | undefined {
    if (this.lag === undefined) return undefined;
    const lags = this.recent.slice(0, Math.min(this.observed, RECENT_LAGS)).sort();
    const at = (quantile: number) =>
      lags.length === 0
        ? null
        : lags[Math.min(lags.length - 1, Math.floor(quantile * lags.length))];
    return {
      subscribed: this.coherence.subscribed,
      invalidations: this.counts.PUT + this.counts.CLR,
      resets: this.resets,
      lagSeconds: {
        samples: lags.length,
        p50: at(0.5),
        p99: at(0.99),
        max: this.maxLag,
      },
    };
  }
}
