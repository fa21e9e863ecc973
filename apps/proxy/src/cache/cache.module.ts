import { Module } from '@nestjs/common';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { UpstreamModule } from '../upstream/upstream.module';
import { CacheAdminController } from './cache-admin.controller';
import { CacheCoherence } from './cache-coherence';
import { CacheMetrics } from './cache-metrics';
import { CacheController } from './cache.controller';
import { CacheService } from './cache.service';
import { EntryCache } from './entry-cache';
import { createPolicy } from '@semicache/policies';
import { InvalidationMetrics } from './invalidation-metrics';

@Module({
  imports: [UpstreamModule],
  controllers: [CacheController, CacheAdminController],
  providers: [
    {
      provide: EntryCache,
      inject: [PROXY_CONFIG],
      useFactory: (config: ProxyConfig) =>
        new EntryCache(createPolicy(config.eviction, config.capacity)),
    },
    {
      provide: CacheCoherence,
      inject: [EntryCache, PROXY_CONFIG],
      useFactory: (cache: EntryCache, config: ProxyConfig) =>
        new CacheCoherence(cache, config.invalidation !== undefined),
    },
    CacheService,
    CacheMetrics,
    InvalidationMetrics,
  ],
  exports: [CacheCoherence, InvalidationMetrics],
})
export class CacheModule {}
