import { Module } from '@nestjs/common';
import { UpstreamModule } from '../upstream/upstream.module';
import { CacheAdminController } from './cache-admin.controller';
import { CacheMetrics } from './cache-metrics';
import { CacheController } from './cache.controller';
import { CacheService } from './cache.service';

@Module({
  imports: [UpstreamModule],
  controllers: [CacheController, CacheAdminController],
  providers: [CacheService, CacheMetrics],
})
export class CacheModule {}
