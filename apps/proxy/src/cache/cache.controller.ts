import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { AddRequest, GetRequest, PutRequest } from '@semicache/protocol';
import { ProtocolErrorFilter } from '@semicache/transport';
import { CacheService } from './cache.service';

/** The protocol's four operations, answered through the cache. */
@Controller()
@UseFilters(ProtocolErrorFilter)
export class CacheController {
  constructor(private readonly cache: CacheService) {}

  @MessagePattern('GET')
  get(@Payload() request: GetRequest) {
    return this.cache.get(request);
  }

  @MessagePattern('PUT')
  put(@Payload() request: PutRequest) {
    return this.cache.put(request);
  }

  @MessagePattern('CLR')
  clear() {
    return this.cache.clear();
  }

  @MessagePattern('ADD')
  add(@Payload() request: AddRequest) {
    return this.cache.add(request);
  }
}
