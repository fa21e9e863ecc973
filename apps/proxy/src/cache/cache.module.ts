import { Module } from '@nestjs/common';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { HeatModule } from '../heat/heat.module';
import { HeatService } from '../heat/heat.service';
import { UpstreamModule } from '../upstream/upstream.module';
import { CacheAdminController } from './cache-admin.controller';
import { CacheGauges, CacheMetrics } from './cache-metrics';
import { CacheController } from './cache.controller';
import { CacheService } from './cache.service';
import { DECISION_EVENTS } from './decision-events';
import { EntryCache } from './entry-cache';
import { createPolicy } from './eviction-policy';

@Module({
  imports: [UpstreamModule, HeatModule],
  controllers: [CacheController, CacheAdminController],
  providers: [
    {
      provide: EntryCache,
      inject: [PROXY_CONFIG, CacheMetrics, HeatService],
      // Everything the cache does is reported, in order, to the metrics, the heat and the events.
      useFactory: (config: ProxyConfig, metrics: CacheMetrics, heat: HeatService) =>
        new EntryCache(config.capacity, createPolicy(config.eviction), [
          metrics,
          heat,
          DECISION_EVENTS,
        ]),
    },
    CacheService,
    CacheMetrics,
    CacheGauges,
  ],
})
export class CacheModule {}
