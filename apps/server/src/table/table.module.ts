import { Logger, Module } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../config/server-config';
import { FileTableStore } from './file-table-store';
import { TableAdminController } from './table-admin.controller';
import { TableController } from './table.controller';
import { TableService } from './table.service';
import { MemoryTableStore, TABLE_STORE, type TableStore } from './table-store';

@Module({
  controllers: [TableController, TableAdminController],
  providers: [
    {
      provide: TABLE_STORE,
      inject: [SERVER_CONFIG],
      useFactory: (config: ServerConfig): Promise<TableStore> | TableStore => {
        if (config.inMemory) return new MemoryTableStore(config.size);
        const logger = new Logger('TableStore');
        return FileTableStore.open(config.dataDir, config.size, (message) => logger.warn(message));
      },
    },
    TableService,
  ],
  exports: [TableService],
})
export class TableModule {}
