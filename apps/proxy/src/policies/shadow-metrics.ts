import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@semicache/runtime';
import { Gauge, type Registry } from 'prom-client';
import { ShadowService } from './shadow.service';

/** The largest capacity whose shadows are exported: 6 policies × 16 capacities, 96 series at most. */
export const EXPORTED_SHADOW_CAPACITY = 16;

/** The shadows' hit ratios as Prometheus gauges, read from the bank when scraped. */
@Injectable()
export class ShadowMetrics {
  constructor(@Inject(METRICS_REGISTRY) registry: Registry, shadows: ShadowService) {
    if (!shadows.enabled) return;
    new Gauge({
      name: 'semicache_shadow_hit_ratio',
      help: `Hits over lookups of each policy's shadow cache at each capacity up to ${EXPORTED_SHADOW_CAPACITY}, on the live traffic since the shadows started (GET /policies).`,
      labelNames: ['policy', 'capacity'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { policy, capacity, lookups, hitRatio } of shadows.results()) {
          // No series before the first lookup: a ratio of nothing is no data, not 0.
          if (capacity <= EXPORTED_SHADOW_CAPACITY && lookups > 0) {
            this.set({ policy, capacity: String(capacity) }, hitRatio);
          }
        }
      },
    });
  }
}
