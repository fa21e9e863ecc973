import {
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnModuleInit,
  RequestMethod,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { createPolicy } from '@semicache/policies';
import { AdminTokenMiddleware } from '../config/admin-token.middleware';
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
export class CacheModule implements NestModule, OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** The admin token is checked when the request arrives, before its body is read. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AdminTokenMiddleware).forRoutes({ path: 'config', method: RequestMethod.PUT });
  }

  /**
   * JSON bodies (PUT /config is the proxy's only route with one) reach the handler as text, so
   * that a body that is not JSON gets the route's own error rather than Fastify's.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // In place of the one Nest registered, which parses.
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    );
  }
}
