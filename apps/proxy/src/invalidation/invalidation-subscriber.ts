import { ServerRedis } from '@nestjs/microservices';
import { INVALIDATION_CHANNEL, type RedisTarget } from '@semicache/runtime';
import type Redis from 'ioredis';

/** What the subscriber tells of its subscription. */
export interface SubscriptionListener {
  /** Redis confirmed the subscription: every message published from now on arrives. */
  subscribed(): void;
  /** The connection dropped: messages may be missed from now on. */
  lost(why: string): void;
}

/**
 * Nest's Redis transport (`Transport.REDIS`: the `@EventPattern` handlers receive the messages),
 * subscribed to the invalidation channel only, with two changes to how it runs:
 *  - it does not wait for Redis at start (the proxy serves meanwhile, without its cache) and
 *    reconnects for ever, every 100 ms;
 *  - it tells when the subscription is live: after each (re)connection, once Redis confirmed a
 *    SUBSCRIBE sent on it (what was published before that moment was missed), and when it drops.
 */
export class InvalidationSubscriber extends ServerRedis {
  private connection = 0;
  private lastError: string | undefined;

  constructor(
    target: RedisTarget,
    private readonly listener: SubscriptionListener,
  ) {
    super({
      host: target.host,
      port: target.port,
      db: target.db,
      connectionName: 'semicache-proxy-invalidations',
      retryAttempts: Number.POSITIVE_INFINITY,
      retryDelay: 100,
      connectTimeout: 1000,
    });
  }

  override start(callback?: () => void): void {
    const subscriber = this.subClient as Redis;
    // Nest's own handler (parse, deserialize, the @EventPattern handler), as ServerRedis binds it.
    const handle = this.getMessageHandler(this.pubClient).bind(this) as (
      channel: string,
      message: string,
    ) => Promise<unknown>;
    subscriber.on('message', (channel: string, message: string) => {
      handle(channel, message).catch((error: unknown) => {
        this.logger.error({ msg: 'invalidation failed', err: error });
      });
    });
    subscriber.on('ready', () => {
      const connection = this.connection;
      subscriber.subscribe(INVALIDATION_CHANNEL).then(
        () => {
          if (connection === this.connection) this.listener.subscribed();
        },
        // The connection went again before the confirmation: the next one subscribes.
        () => undefined,
      );
    });
    subscriber.on('close', () => {
      this.connection++;
      this.listener.lost(this.lastError ?? 'the connection closed');
    });
    // The first attempt; ioredis retries by itself.
    subscriber.connect().catch(() => undefined);
    callback?.();
  }

  /** Errors are the connection's state: `lost` reports them, once per loss. */
  override registerErrorListener(client: Redis): void {
    client.on('error', (error: Error) => (this.lastError = error.message));
    client.on('ready', () => (this.lastError = undefined));
  }

  /** No line per attempt (every 100 ms while Redis is down): `lost` and `subscribed` tell. */
  override registerReconnectListener(): void {}

  /** Nest's "Connected to Redis" line: `subscribed` tells, once the subscription is confirmed. */
  override registerReadyListener(): void {}

  override close(): Promise<void> {
    this.isManuallyClosed = true;
    (this.subClient as Redis | undefined)?.disconnect();
    // Never connected: its only use in Nest's transport is answering requests, which this has none of.
    (this.pubClient as Redis | undefined)?.disconnect();
    return Promise.resolve();
  }
}
