import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { AddRequest, GetRequest, PutRequest } from '@semicache/protocol';
import { ProtocolErrorFilter, SemicolonContext } from '@semicache/transport';
import { CacheService } from './cache.service';

/** The protocol's four operations, answered through the cache; each records its event. */
@Controller()
@UseFilters(ProtocolErrorFilter)
export class CacheController {
  constructor(private readonly cache: CacheService) {}

  @MessagePattern('GET')
  get(@Payload() request: GetRequest, @Ctx() context: SemicolonContext) {
    return this.cache.get(request, context.getEvent());
  }

  @MessagePattern('PUT')
  put(@Payload() request: PutRequest, @Ctx() context: SemicolonContext) {
    return this.cache.put(request, context.getEvent());
  }

  @MessagePattern('CLR')
  clear(@Ctx() context: SemicolonContext) {
    return this.cache.clear(context.getEvent());
  }

  @MessagePattern('ADD')
  add(@Payload() request: AddRequest, @Ctx() context: SemicolonContext) {
    return this.cache.add(request, context.getEvent());
  }
}
