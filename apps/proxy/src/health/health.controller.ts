import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import type { ProxyHealth } from '@semicache/client';
import { SemicolonClient } from '@semicache/transport';

/** Readiness: 503 while the server is unreachable (cached reads are still served meanwhile). */
@Controller('health')
export class HealthController {
  constructor(private readonly upstream: SemicolonClient) {}

  @Get()
  health(): ProxyHealth {
    const up = this.upstream.isUp;
    const body: ProxyHealth = {
      status: up ? 'ok' : 'degraded',
      upstream: { target: this.upstream.target, up },
    };
    if (!up) throw new ServiceUnavailableException(body);
    return body;
  }
}
