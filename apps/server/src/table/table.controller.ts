import { Controller, Inject, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { EventLog } from '@semicache/events';
import type { AddRequest, ClrRequest, GetRequest, PutRequest } from '@semicache/protocol';
import { EVENT_LOG } from '@semicache/runtime';
import { ProtocolErrorFilter } from '@semicache/transport';
import { TableService } from './table.service';

/**
 * The protocol's four operations, served straight from the table; each hands the service the
 * event the transport records for its request (borrowed by the request: see CacheController).
 */
@Controller()
@UseFilters(ProtocolErrorFilter)
export class TableController {
  constructor(
    private readonly table: TableService,
    @Inject(EVENT_LOG) private readonly events: EventLog,
  ) {}

  @MessagePattern('GET')
  get(@Payload() request: GetRequest) {
    return this.table.get(request, this.events.borrow(request));
  }

  @MessagePattern('PUT')
  put(@Payload() request: PutRequest) {
    return this.table.put(request, this.events.borrow(request));
  }

  @MessagePattern('CLR')
  clear(@Payload() request: ClrRequest) {
    return this.table.clear(this.events.borrow(request));
  }

  @MessagePattern('ADD')
  add(@Payload() request: AddRequest) {
    return this.table.add(request, this.events.borrow(request));
  }
}
