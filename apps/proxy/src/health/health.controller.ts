import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { SemicolonClient } from '@semicache/transport';

/** Readiness: 503 while the server is unreachable (cached reads are still served meanwhile). */
@Controller('health')
export class HealthController {
  constructor(private readonly upstream: SemicolonClient) {}

  @Get()
  health() {
    const up = this.upstream.isUp;
    const body = { status: up ? 'ok' : 'degraded', upstream: { target: this.upstream.target, up } };
    if (!up) throw new ServiceUnavailableException(body);
    return body;
  }
}
