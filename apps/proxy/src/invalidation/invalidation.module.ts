import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module';
import { InvalidationController } from './invalidation.controller';
import { InvalidationService } from './invalidation.service';

/** `--invalidation`: the handler of the invalidation channel (its microservice: see main.ts). */
@Module({
  imports: [CacheModule],
  controllers: [InvalidationController],
  providers: [InvalidationService],
  exports: [InvalidationService],
})
export class InvalidationModule {}
