import { type DynamicModule, Module } from '@nestjs/common';
import { EventsModule, MetricsModule } from '@semicache/runtime';
import { SERVER_CONFIG, type ServerConfig } from './config/server-config';
import { HealthController } from './health/health.controller';
import { TableModule } from './table/table.module';

@Module({})
export class AppModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MetricsModule,
        EventsModule.forRoot({
          app: 'server',
          capacity: config.eventBuffer,
          heartbeatMs: config.eventHeartbeatMs,
          // Answered from the table at once, or after waiting for the store (a write made
          // durable, or a read held until the writes before it are).
          sources: ['table', 'store'],
          waitField: 'storeUs',
        }),
        TableModule,
      ],
      controllers: [HealthController],
      providers: [{ provide: SERVER_CONFIG, useValue: config }],
      exports: [SERVER_CONFIG],
    };
  }
}
