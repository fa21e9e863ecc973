import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller';
import { ShadowMetrics } from './shadow-metrics';
import { ShadowService } from './shadow.service';

/** The shadow caches, `GET /policies` and their metrics. */
@Module({
  controllers: [PoliciesController],
  providers: [ShadowService, ShadowMetrics],
  exports: [ShadowService],
})
export class PoliciesModule {}
