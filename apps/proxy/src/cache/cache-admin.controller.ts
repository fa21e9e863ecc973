import { BadRequestException, Body, Controller, Get, Inject, Put } from '@nestjs/common';
import type { CacheView, ConfigView, ProxyStats } from '@semicache/client';
import type { EventLog } from '@semicache/events';
import { EVENT_LOG } from '@semicache/runtime';
import { configChangeSchema } from '../config/proxy-config';
import { CacheService } from './cache.service';
import { InvalidationMetrics } from './invalidation-metrics';

/** What the cache holds and how it has done. Values are strings: they are signed 64-bit. */
@Controller()
export class CacheAdminController {
  constructor(
    private readonly service: CacheService,
    private readonly invalidations: InvalidationMetrics,
    @Inject(EVENT_LOG) private readonly events: EventLog,
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

  /**
   * Changes the live cache's policy, capacity or both, without a restart: `{"capacity": 8,
   * "eviction": "lru"}`. Needs the admin token (AdminTokenMiddleware, see CacheModule). The
   * change is an event of its own (op CONFIG), listing the evictions it caused. A JSON body
   * comes as text (see CacheModule), so that one that is not JSON is a BAD_CONFIG as well.
   */
  @Put('config')
  configure(@Body() body: unknown): ConfigView {
    let json: unknown = body;
    if (typeof body === 'string') {
      try {
        json = JSON.parse(body);
      } catch (error) {
        const message = `not JSON: ${(error as Error).message}`;
        throw new BadRequestException({ error: 'BAD_CONFIG', message });
      }
    }
    const change = configChangeSchema.safeParse(json);
    if (!change.success) {
      const problems = change.error.issues.map((issue) =>
        issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`,
      );
      throw new BadRequestException({ error: 'BAD_CONFIG', message: problems.join('; ') });
    }
    return this.events.recordOutside('CONFIG', (event) =>
      this.service.configure(change.data, event),
    );
  }
}
