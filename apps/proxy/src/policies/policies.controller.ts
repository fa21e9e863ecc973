import { Controller, Get, NotFoundException } from '@nestjs/common';
import type { PoliciesView } from '@semicache/client';
import { ShadowService } from './shadow.service';

/** What every policy, at every small capacity, would have done with the live traffic. */
@Controller()
export class PoliciesController {
  constructor(private readonly shadows: ShadowService) {}

  @Get('policies')
  policies(): Promise<PoliciesView> {
    if (!this.shadows.enabled) {
      throw new NotFoundException({
        error: 'SHADOWS_OFF',
        message: 'the proxy runs with --shadows off: it keeps no shadow caches',
      });
    }
    return this.shadows.view();
  }
}
