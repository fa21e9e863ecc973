import { Controller, Inject, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { EventLog } from '@semicache/events';
import type { AddRequest, ClrRequest, GetRequest, PutRequest } from '@semicache/protocol';
import { EVENT_LOG } from '@semicache/runtime';
import { ProtocolErrorFilter } from '@semicache/transport';
import { CacheService } from './cache.service';

/**
 * The protocol's four operations, answered through the cache. Each hands the service the event
 * the transport records for its request, borrowed by the request (EventLog.borrow) rather than
 * read from `@Ctx()`: a second decorated parameter makes Nest run its asynchronous parameter
 * pipeline twice per request, which costs the hit path more than the events' whole budget.
 */
@Controller()
@UseFilters(ProtocolErrorFilter)
export class CacheController {
  constructor(
    private readonly cache: CacheService,
    @Inject(EVENT_LOG) private readonly events: EventLog,
  ) {}

  @MessagePattern('GET')
  get(@Payload() request: GetRequest) {
    return this.cache.get(request, this.events.borrow(request));
  }

  @MessagePattern('PUT')
  put(@Payload() request: PutRequest) {
    return this.cache.put(request, this.events.borrow(request));
  }

  @MessagePattern('CLR')
  clear(@Payload() request: ClrRequest) {
    return this.cache.clear(this.events.borrow(request));
  }

  @MessagePattern('ADD')
  add(@Payload() request: AddRequest) {
    return this.cache.add(request, this.events.borrow(request));
  }
}
