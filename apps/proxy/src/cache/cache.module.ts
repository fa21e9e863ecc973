import { Module } from '@nestjs/common';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { PoliciesModule } from '../policies/policies.module';
import { ShadowService } from '../policies/shadow.service';
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
  imports: [UpstreamModule, PoliciesModule],
  controllers: [CacheController, CacheAdminController],
  providers: [
    {
      provide: EntryCache,
      inject: [PROXY_CONFIG, ShadowService],
      // The shadows follow everything the cache does (with --shadows off, nothing follows it).
      useFactory: (config: ProxyConfig, shadows: ShadowService) =>
        new EntryCache(
          createPolicy(config.eviction, config.capacity),
          shadows.enabled ? [shadows] : [],
        ),
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
