import { Logger } from '@nestjs/common';
import { ProtocolError } from '@semicache/protocol';
import {
  INVALIDATION_CHANNEL,
  type RedisTarget,
  epochMicros,
  invalidationHead,
} from '@semicache/runtime';
import { RedisConnection } from '../redis/redis-connection';
import type { TableStore } from './table-store';

/**
 * `--invalidation` in front of the file or memory store: every write, once durable, is published
 * on the invalidation channel, in write order, and acknowledged once Redis took the message.
 *
 * Writes need the channel: while it is down they are refused at once (STORE_UNAVAILABLE), before
 * anything is applied. A write already durable whose message could not be published is answered
 * STORE_UNAVAILABLE (it was applied, but a proxy may not learn of it), and when the channel is
 * back, before any other write, a CLR message tells every proxy to drop everything it caches.
 * Reads do not need the channel.
 */
export class PublishingTableStore implements TableStore {
  private readonly connection: RedisConnection;
  /** A message was lost: proxies must drop everything before the next write is acknowledged. */
  private owesReset = false;
  /** Resolves once the publish of the last write made so far has been sent. */
  private lastSent: Promise<unknown> = Promise.resolve();
  private readonly logger = new Logger('Invalidations');

  private constructor(
    private readonly inner: TableStore,
    target: RedisTarget,
    timeoutMs: number,
  ) {
    this.connection = new RedisConnection(target, 'invalidation', timeoutMs, () =>
      this.publishOwedReset(),
    );
  }

  static async open(
    inner: TableStore,
    target: RedisTarget,
    timeoutMs: number,
  ): Promise<PublishingTableStore> {
    const store = new PublishingTableStore(inner, target, timeoutMs);
    await store.connection.open();
    return store;
  }

  get size(): number {
    return this.inner.size;
  }

  get failure(): string | undefined {
    const down = this.connection.failure;
    return this.inner.failure ?? (down === undefined ? undefined : `invalidations: ${down}`);
  }

  read(indices: readonly number[]): bigint[] | Promise<bigint[]> {
    return this.inner.read(indices);
  }

  entries(): bigint[] | Promise<bigint[]> {
    return this.inner.entries();
  }

  put(indices: readonly number[], values: readonly bigint[]): Promise<void> {
    return this.publishAfter(
      () => this.inner.put(indices, values),
      () => {
        const last = new Map<number, bigint>();
        indices.forEach((index, position) => last.set(index, values[position]));
        return invalidationHead({
          op: 'PUT',
          indices: [...last.keys()],
          values: [...last.values()],
        });
      },
    );
  }

  clear(): Promise<void> {
    return this.publishAfter(
      () => this.inner.clear(),
      () => invalidationHead({ op: 'CLR' }),
    );
  }

  async close(): Promise<void> {
    await this.inner.close();
    await this.lastSent;
    await this.connection.close();
  }

  /**
   * Applies a write, then publishes its message once it is durable and once the message of every
   * earlier write has been sent (one connection: Redis receives them in write order).
   */
  private publishAfter(write: () => Promise<void>, head: () => string): Promise<void> {
    const down = this.owesReset ? 'a message was lost' : this.connection.failure;
    if (down !== undefined) {
      return Promise.reject(
        new ProtocolError(
          'STORE_UNAVAILABLE',
          `writes are refused while invalidations cannot be published: ${down}`,
        ),
      );
    }
    const durable = write();
    let published!: Promise<number>;
    const sent = Promise.all([this.lastSent, durable]).then(() => {
      published = this.connection.client.publish(
        INVALIDATION_CHANNEL,
        `${head()}${epochMicros()}}}`,
      );
    });
    this.lastSent = sent.catch(() => undefined);
    return sent.then(() =>
      published.then(
        () => undefined,
        (error: unknown) => {
          // A fresh connection publishes the reset before it counts as up (see the constructor).
          if (!this.owesReset) this.connection.client.disconnect(true);
          this.owesReset = true;
          // Proxies are told to drop everything once Redis is back (publishOwedReset).
          this.logger.error({
            msg: 'invalidation not published',
            redis: this.connection.name,
            error: (error as Error).message,
          });
          throw new ProtocolError(
            'STORE_UNAVAILABLE',
            `the write was applied, but its invalidation could not be published: ${(error as Error).message}`,
          );
        },
      ),
    );
  }

  /** On every (re)connection, before writes are taken again. */
  private async publishOwedReset(): Promise<void> {
    if (!this.owesReset) return;
    await this.connection.client.publish(
      INVALIDATION_CHANNEL,
      `${invalidationHead({ op: 'CLR' })}${epochMicros()}}}`,
    );
    this.owesReset = false;
    this.logger.warn({ msg: 'invalidation reset published', redis: this.connection.name });
  }
}
