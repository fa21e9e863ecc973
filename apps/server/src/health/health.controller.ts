import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import type { ServerHealth } from '@semicache/client';
import { TableService } from '../table/table.service';

/** Liveness and readiness: 503 once the table can no longer be written. */
@Controller('health')
export class HealthController {
  constructor(private readonly table: TableService) {}

  @Get()
  health(): ServerHealth {
    const failure = this.table.failure;
    const body: ServerHealth = {
      status: failure === undefined ? 'ok' : 'failing',
      table: {
        size: this.table.size,
        writable: failure === undefined,
        ...(failure ? { failure } : {}),
      },
    };
    if (failure !== undefined) throw new ServiceUnavailableException(body);
    return body;
  }
}
