import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { ProxyHealth } from '@semicache/client';
import { redisName } from '@semicache/runtime';
import { FailoverClient } from '@semicache/transport';
import { CacheCoherence } from '../cache/cache-coherence';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';

/**
 * Readiness: 503 while the server is unreachable (cached reads are still served meanwhile), and
 * with `--invalidation` while not subscribed (every read goes to the server meanwhile).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly upstream: FailoverClient,
    private readonly coherence: CacheCoherence,
    @Inject(PROXY_CONFIG) private readonly config: ProxyConfig,
  ) {}

  @Get()
  health(): ProxyHealth {
    const { upstream, coherence, config } = this;
    const up = upstream.isUp;
    const several = config.upstream.length > 1;
    const body: ProxyHealth = {
      status: up && coherence.subscribed ? 'ok' : 'degraded',
      upstream: { target: upstream.target, up, ...(several ? { targets: upstream.targets } : {}) },
      ...(config.invalidation === undefined
        ? {}
        : {
            invalidation: {
              target: redisName(config.invalidation),
              subscribed: coherence.subscribed,
            },
          }),
    };
    if (body.status !== 'ok') throw new ServiceUnavailableException(body);
    return body;
  }
}
