import { Inject, Injectable, Logger } from '@nestjs/common';
import { epochMicros, invalidationSchema, redisName } from '@semicache/runtime';
import { CacheCoherence } from '../cache/cache-coherence';
import { InvalidationMetrics } from '../cache/invalidation-metrics';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import type { SubscriptionListener } from './invalidation-subscriber';

/** Applies the invalidations received, and follows the subscription's state (logged). */
@Injectable()
export class InvalidationService implements SubscriptionListener {
  private readonly logger = new Logger('Invalidations');
  private readonly source: string;
  private wasSubscribed = false;

  constructor(
    private readonly coherence: CacheCoherence,
    private readonly metrics: InvalidationMetrics,
    @Inject(PROXY_CONFIG) config: ProxyConfig,
  ) {
    this.source = config.invalidation === undefined ? '' : redisName(config.invalidation);
  }

  /** One message from the invalidation channel. */
  apply(message: unknown): void {
    const parsed = invalidationSchema.safeParse(message);
    if (!parsed.success) {
      // It named something this proxy cannot tell: nothing cached can be trusted.
      const dropped = this.coherence.dropAll();
      this.metrics.cacheReset();
      this.logger.warn(
        `an invalidation that cannot be read (${parsed.error.issues[0]?.message ?? 'invalid'}): cache emptied (${dropped.length} entries)`,
      );
      return;
    }
    const invalidation = parsed.data;
    this.coherence.apply(invalidation);
    this.metrics.invalidationApplied(
      invalidation.op,
      (epochMicros() - invalidation.ackedAtUs) / 1e6,
    );
  }

  subscribed(): void {
    const dropped = this.coherence.subscriptionBack();
    if (this.wasSubscribed) this.metrics.cacheReset();
    this.logger.warn(
      `invalidation subscription on ${this.source} is ${this.wasSubscribed ? 'back' : 'live'}: cache in use${dropped.length > 0 ? ` (emptied first: ${dropped.length} entries)` : ''}`,
    );
    this.wasSubscribed = true;
  }

  lost(why: string): void {
    if (!this.coherence.subscribed) return;
    const dropped = this.coherence.subscriptionLost();
    this.metrics.cacheReset();
    this.logger.warn(
      `invalidation subscription on ${this.source} lost (${why}): cache emptied (${dropped.length} entries); every read goes to the server until it is back`,
    );
  }
}
