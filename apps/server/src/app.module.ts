import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsModule } from '@semicache/runtime';
import { SERVER_CONFIG, type ServerConfig } from './config/server-config';
import { HealthController } from './health/health.controller';
import { TableModule } from './table/table.module';

@Module({})
export class AppModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [MetricsModule, TableModule],
      controllers: [HealthController],
      providers: [{ provide: SERVER_CONFIG, useValue: config }],
      exports: [SERVER_CONFIG],
    };
  }
}
