import { Logger, Module } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../config/server-config';
import { FileTableStore } from './file-table-store';
import { PublishingTableStore } from './publishing-table-store';
import { RedisTableStore } from './redis-table-store';
import { TableAdminController } from './table-admin.controller';
import { TableController } from './table.controller';
import { TableService } from './table.service';
import { MemoryTableStore, TABLE_STORE, type TableStore } from './table-store';

/** The store `--store` names; with `--invalidation`, one that publishes every write. */
async function openStore(config: ServerConfig): Promise<TableStore> {
  if (config.store === 'redis') {
    return RedisTableStore.open({
      target: config.redisUrl,
      prefix: config.redisPrefix,
      size: config.size,
      timeoutMs: config.redisTimeoutMs,
      invalidations: config.invalidation !== undefined,
    });
  }
  let store: TableStore;
  if (config.store === 'memory') {
    new Logger('TableStore').log({ msg: 'table opened', inMemory: true, entries: config.size });
    store = new MemoryTableStore(config.size);
  } else store = await FileTableStore.open(config.dataDir, config.size);
  if (config.invalidation === undefined) return store;
  try {
    return await PublishingTableStore.open(store, config.invalidation, config.redisTimeoutMs);
  } catch (error) {
    await store.close();
    throw error;
  }
}

@Module({
  controllers: [TableController, TableAdminController],
  providers: [
    { provide: TABLE_STORE, inject: [SERVER_CONFIG], useFactory: openStore },
    TableService,
  ],
  exports: [TableService],
})
export class TableModule {}
