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
        if (!config.inMemory) return FileTableStore.open(config.dataDir, config.size);
        new Logger('TableStore').log({ msg: 'table opened', inMemory: true, entries: config.size });
        return new MemoryTableStore(config.size);
      },
    },
    TableService,
  ],
  exports: [TableService],
})
export class TableModule {}
