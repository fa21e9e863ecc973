import { Module } from '@nestjs/common';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { PoliciesModule } from '../policies/policies.module';
import { ShadowService } from '../policies/shadow.service';
import { UpstreamModule } from '../upstream/upstream.module';
import { CacheAdminController } from './cache-admin.controller';
import { CacheMetrics } from './cache-metrics';
import { CacheController } from './cache.controller';
import { CacheService } from './cache.service';
import { EntryCache } from './entry-cache';
import { createPolicy } from '@semicache/policies';

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
    CacheService,
    CacheMetrics,
  ],
})
export class CacheModule {}
