import { type DynamicModule, Module } from '@nestjs/common';
import { EventsModule, MetricsModule } from '@semicache/runtime';
import { CacheModule } from './cache/cache.module';
import { PROXY_CONFIG, type ProxyConfig } from './config/proxy-config';
import { HealthModule } from './health/health.module';
import { InvalidationModule } from './invalidation/invalidation.module';

@Module({})
export class AppModule {
  static forRoot(config: ProxyConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MetricsModule,
        EventsModule.forRoot({
          app: 'proxy',
          capacity: config.eventBuffer,
          heartbeatMs: config.eventHeartbeatMs,
          // Answered from the cache alone, or after a round trip to the server (a fetch or a write).
          sources: ['cache', 'upstream'],
          waitField: 'upstreamUs',
        }),
        CacheModule,
        HealthModule,
        ...(config.invalidation === undefined ? [] : [InvalidationModule]),
      ],
      providers: [{ provide: PROXY_CONFIG, useValue: config }],
      exports: [PROXY_CONFIG],
    };
  }
}
