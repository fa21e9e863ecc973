import { Controller, Get } from '@nestjs/common';
import type { CacheView, ProxyStats } from '@semicache/client';
import { CacheService } from './cache.service';
import { InvalidationMetrics } from './invalidation-metrics';

/** What the cache holds and how it has done. Values are strings: they are signed 64-bit. */
@Controller()
export class CacheAdminController {
  constructor(
    private readonly service: CacheService,
    private readonly invalidations: InvalidationMetrics,
  ) {}

  @Get('cache')
  entries(): CacheView {
    const now = Date.now();
    const { policy, reason, capacity, size } = this.service.snapshot();
    // Eviction order: the entry that goes next comes first.
    const entries = this.service.entries().map((entry) => ({
      index: entry.index,
      value: entry.value.toString(),
      ageMs: now - entry.storedAt,
    }));
    const nextVictim = size >= capacity && entries.length > 0 ? entries[0].index : null;
    return { policy, reason, capacity, size, nextVictim, entries };
  }

  @Get('stats')
  stats(): ProxyStats {
    const { stats, size, capacity, policy } = this.service.snapshot();
    const invalidation = this.invalidations.stats();
    return { ...stats, size, capacity, policy, ...(invalidation ? { invalidation } : {}) };
  }
}
