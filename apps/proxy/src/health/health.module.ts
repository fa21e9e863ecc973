import { Module } from '@nestjs/common';
import { UpstreamModule } from '../upstream/upstream.module';
import { HealthController } from './health.controller';

@Module({ imports: [UpstreamModule], controllers: [HealthController] })
export class HealthModule {}
