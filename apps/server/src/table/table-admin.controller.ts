import {
  Controller,
  Get,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { TableEntry, TableView } from '@semicache/client';
import { ProtocolError } from '@semicache/protocol';
import { TableService } from './table.service';

/** The store's refusal (say Redis is down) as a 503 with the protocol's code. */
async function fromStore<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ServiceUnavailableException({ error: error.code, message: error.message });
  }
}

/** Values are strings in JSON: they are signed 64-bit and a JSON number cannot hold them all. */
@Controller('table')
export class TableAdminController {
  constructor(private readonly table: TableService) {}

  @Get()
  async all(): Promise<TableView> {
    const values = await fromStore(() => this.table.entries());
    return {
      size: this.table.size,
      entries: values.map((value, index) => ({ index, value: value.toString() })),
    };
  }

  @Get(':index')
  async one(@Param('index') raw: string): Promise<TableEntry> {
    const index = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(index < this.table.size)) {
      throw new NotFoundException({
        error: 'BAD_INDEX',
        message: `index ${raw} is outside 0..${this.table.size - 1}`,
      });
    }
    return { index, value: (await fromStore(() => this.table.entry(index))).toString() };
  }
}
