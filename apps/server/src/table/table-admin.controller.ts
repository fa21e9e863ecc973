import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import type { TableEntry, TableView } from '@semicache/client';
import { TableService } from './table.service';

/** Values are strings in JSON: they are signed 64-bit and a JSON number cannot hold them all. */
@Controller('table')
export class TableAdminController {
  constructor(private readonly table: TableService) {}

  @Get()
  all(): TableView {
    return {
      size: this.table.size,
      entries: this.table.entries().map((value, index) => ({ index, value: value.toString() })),
    };
  }

  @Get(':index')
  one(@Param('index') raw: string): TableEntry {
    const index = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(index < this.table.size)) {
      throw new NotFoundException({
        error: 'BAD_INDEX',
        message: `index ${raw} is outside 0..${this.table.size - 1}`,
      });
    }
    return { index, value: this.table.entry(index).toString() };
  }
}
