import { Module } from '@nestjs/common';
import { createPolicy } from '@semicache/policies';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { HeatModule } from '../heat/heat.module';
import { HeatService } from '../heat/heat.service';
import { UpstreamModule } from '../upstream/upstream.module';
import { CacheAdminController } from './cache-admin.controller';
import { CacheCoherence } from './cache-coherence';
import { CacheGauges, CacheMetrics } from './cache-metrics';
import { CacheController } from './cache.controller';
import { CacheService } from './cache.service';
import { DECISION_EVENTS } from './decision-events';
import { EntryCache } from './entry-cache';
import { InvalidationMetrics } from './invalidation-metrics';

@Module({
  imports: [UpstreamModule, HeatModule],
  controllers: [CacheController, CacheAdminController],
  providers: [
    {
      provide: EntryCache,
      inject: [PROXY_CONFIG, CacheMetrics, HeatService],
      // Everything the cache does is reported, in order, to the metrics, the heat and the events.
      useFactory: (config: ProxyConfig, metrics: CacheMetrics, heat: HeatService) =>
        new EntryCache(createPolicy(config.eviction, config.capacity), [
          metrics,
          heat,
          DECISION_EVENTS,
        ]),
    },
    {
      provide: CacheCoherence,
      inject: [EntryCache, PROXY_CONFIG],
      useFactory: (cache: EntryCache, config: ProxyConfig) =>
        new CacheCoherence(cache, config.invalidation !== undefined),
    },
    CacheService,
    CacheMetrics,
    CacheGauges,
    InvalidationMetrics,
  ],
  exports: [CacheCoherence, InvalidationMetrics],
})
export class CacheModule {}
