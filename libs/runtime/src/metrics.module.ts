import { Controller, Get, Global, Inject, Module, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.tokens';
import { TransportMetrics } from './transport-metrics';

@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.header('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }
}

/** One registry per app instance, with prom-client's default process metrics and the transport's. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: METRICS_REGISTRY,
      useFactory: (): Registry => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    TransportMetrics,
  ],
  exports: [METRICS_REGISTRY, TransportMetrics],
})
export class MetricsModule {}
