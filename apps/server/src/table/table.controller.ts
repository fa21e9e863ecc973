import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { AddRequest, GetRequest, PutRequest } from '@semicache/protocol';
import { ProtocolErrorFilter } from '@semicache/transport';
import { TableService } from './table.service';

/** The protocol's four operations, served straight from the table. */
@Controller()
@UseFilters(ProtocolErrorFilter)
export class TableController {
  constructor(private readonly table: TableService) {}

  @MessagePattern('GET')
  get(@Payload() request: GetRequest) {
    return this.table.get(request);
  }

  @MessagePattern('PUT')
  put(@Payload() request: PutRequest) {
    return this.table.put(request);
  }

  @MessagePattern('CLR')
  clear() {
    return this.table.clear();
  }

  @MessagePattern('ADD')
  add(@Payload() request: AddRequest) {
    return this.table.add(request);
  }
}
