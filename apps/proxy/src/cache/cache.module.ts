import { Module } from '@nestjs/common';
import { createPolicy } from '@semicache/policies';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { HeatModule } from '../heat/heat.module';
import { HeatService } from '../heat/heat.service';
import { PoliciesModule } from '../policies/policies.module';
import { ShadowService } from '../policies/shadow.service';
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
  imports: [UpstreamModule, HeatModule, PoliciesModule],
  controllers: [CacheController, CacheAdminController],
  providers: [
    {
      provide: EntryCache,
      inject: [PROXY_CONFIG, CacheMetrics, HeatService, ShadowService],
      // Everything the cache does is reported, in order, to the metrics, the heat, the events
      // and the shadows (with --shadows off, not to them).
      useFactory: (
        config: ProxyConfig,
        metrics: CacheMetrics,
        heat: HeatService,
        shadows: ShadowService,
      ) =>
        new EntryCache(createPolicy(config.eviction, config.capacity), [
          metrics,
          heat,
          DECISION_EVENTS,
          ...(shadows.enabled ? [shadows] : []),
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
