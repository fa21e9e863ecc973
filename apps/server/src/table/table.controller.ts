import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { AddRequest, GetRequest, PutRequest } from '@semicache/protocol';
import { ProtocolErrorFilter, SemicolonContext } from '@semicache/transport';
import { TableService } from './table.service';

/** The protocol's four operations, served straight from the table; each records its event. */
@Controller()
@UseFilters(ProtocolErrorFilter)
export class TableController {
  constructor(private readonly table: TableService) {}

  @MessagePattern('GET')
  get(@Payload() request: GetRequest, @Ctx() context: SemicolonContext) {
    return this.table.get(request, context.getEvent());
  }

  @MessagePattern('PUT')
  put(@Payload() request: PutRequest, @Ctx() context: SemicolonContext) {
    return this.table.put(request, context.getEvent());
  }

  @MessagePattern('CLR')
  clear(@Ctx() context: SemicolonContext) {
    return this.table.clear(context.getEvent());
  }

  @MessagePattern('ADD')
  add(@Payload() request: AddRequest, @Ctx() context: SemicolonContext) {
    return this.table.add(request, context.getEvent());
  }
}
