import { Module } from '@nestjs/common';
import { HeatController } from './heat.controller';
import { HeatService } from './heat.service';

@Module({
  controllers: [HeatController],
  providers: [HeatService],
  exports: [HeatService],
})
export class HeatModule {}
