import { Controller, Get } from '@nestjs/common';
import type { CacheView, ProxyStats } from '@semicache/client';
import { CacheMetrics } from './cache-metrics';
import { CacheService } from './cache.service';

/** What the cache holds and how it has done. Values are strings: they are signed 64-bit. */
@Controller()
export class CacheAdminController {
  constructor(
    private readonly service: CacheService,
    private readonly metrics: CacheMetrics,
  ) {}

  @Get('cache')
  entries(): CacheView {
    const now = Date.now();
    const { cache } = this.service;
    return {
      policy: cache.policy.name,
      capacity: cache.capacity,
      size: cache.size,
      // Eviction order: the entry that goes next comes first.
      entries: cache.entries().map((entry) => ({
        index: entry.index,
        value: entry.value.toString(),
        ageMs: now - entry.storedAt,
      })),
    };
  }

  @Get('stats')
  stats(): ProxyStats {
    const { cache } = this.service;
    return {
      ...this.metrics.stats(),
      size: cache.size,
      capacity: cache.capacity,
      policy: cache.policy.name,
    };
  }
}
