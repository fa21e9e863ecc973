import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EventLog } from '@semicache/events';
import { EVENT_LOG, epochMicros, invalidationSchema, redisName } from '@semicache/runtime';
import { CacheCoherence } from '../cache/cache-coherence';
import { InvalidationMetrics } from '../cache/invalidation-metrics';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import type { SubscriptionListener } from './invalidation-subscriber';

/** Applies the invalidations received, and follows the subscription's state (logged). */
@Injectable()
export class InvalidationService implements SubscriptionListener {
  private readonly logger = new Logger('Invalidations');
  private readonly redis: string;
  /** When the subscription was lost (performance.now()), to log how long it was down. */
  private lostAt: number | undefined;

  constructor(
    private readonly coherence: CacheCoherence,
    private readonly metrics: InvalidationMetrics,
    @Inject(EVENT_LOG) private readonly events: EventLog,
    @Inject(PROXY_CONFIG) config: ProxyConfig,
  ) {
    this.redis = config.invalidation === undefined ? '' : redisName(config.invalidation);
  }

  /** One message from the invalidation channel. */
  apply(message: unknown): void {
    const parsed = invalidationSchema.safeParse(message);
    if (!parsed.success) {
      // It named something this proxy cannot tell: nothing cached can be trusted.
      const dropped = this.coherence.dropAll();
      this.metrics.cacheReset();
      this.logger.warn({
        msg: 'invalidation unreadable',
        error: parsed.error.issues[0]?.message ?? 'invalid',
        emptied: dropped.length,
      });
      return;
    }
    const invalidation = parsed.data;
    // One event (op INVALIDATE) for an invalidation that drops something; the others, most of a
    // busy cluster's, change nothing here and would only crowd the stream.
    if (this.coherence.drops(invalidation)) {
      this.events.recordOutside('INVALIDATE', (event) => this.coherence.apply(invalidation, event));
    } else {
      this.coherence.apply(invalidation);
    }
    this.metrics.invalidationApplied(
      invalidation.op,
      (epochMicros() - invalidation.ackedAtUs) / 1e6,
    );
  }

  subscribed(): void {
    const dropped = this.coherence.subscriptionBack();
    const downMs =
      this.lostAt === undefined ? undefined : Math.round(performance.now() - this.lostAt);
    if (this.lostAt !== undefined) this.metrics.cacheReset();
    this.lostAt = undefined;
    // The cache is in use from now on.
    this.logger.log({
      msg: 'invalidations subscribed',
      redis: this.redis,
      downMs,
      emptied: dropped.length,
    });
  }

  lost(why: string): void {
    if (!this.coherence.subscribed) return;
    const dropped = this.coherence.subscriptionLost();
    this.metrics.cacheReset();
    this.lostAt = performance.now();
    // Every read goes to the server until the subscription is back.
    this.logger.warn({
      msg: 'invalidations lost',
      redis: this.redis,
      reason: why,
      emptied: dropped.length,
    });
  }
}
