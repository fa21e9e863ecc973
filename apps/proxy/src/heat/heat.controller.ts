import { Controller, Get, Query } from '@nestjs/common';
import type { HeatView } from '@semicache/client';
import { queryLimit } from '@semicache/runtime';
import { HeatService } from './heat.service';

/** How many indices `GET /heat` lists without `?limit=`. */
export const DEFAULT_HEAT_LIMIT = 100;

@Controller('heat')
export class HeatController {
  constructor(private readonly heat: HeatService) {}

  /** The indices with the most lookups first, with their counts (`?limit=N`, default 100). */
  @Get()
  heatView(@Query('limit') limit?: string | string[]): HeatView {
    return this.heat.view(queryLimit(limit, DEFAULT_HEAT_LIMIT));
  }
}
