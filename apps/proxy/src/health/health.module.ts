import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { HealthController } from './health.controller';

@Module({ imports: [UpstreamModule, CacheModule], controllers: [HealthController] })
export class HealthModule {}
