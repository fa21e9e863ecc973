import { Logger } from '@nestjs/common';
import { ProtocolError } from '@semicache/protocol';
import { type RedisTarget, redisName } from '@semicache/runtime';
import Redis from 'ioredis';

/** Redis holds something this server must not serve (say a table of another size). */
export class StoreMismatchError extends Error {}

/**
 * One connection to Redis, set up to fail fast: a command while Redis is unreachable is refused
 * at once (no offline queue), one with no reply within `timeoutMs` fails, and commands in flight
 * when the connection drops fail rather than being sent again after the reconnection (a write
 * sent again later could overwrite a newer one). It reconnects by itself, with a backoff of up to
 * 1 s, and logs when Redis goes away and when it is back.
 *
 * `check` runs on every (re)connection before the connection counts as up (the store checks its
 * table there). A `StoreMismatchError` keeps it down with that reason until the next connection.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly name: string;
  private ready = false;
  /** When the connection was lost (performance.now()), to log how long Redis was away. */
  private lostAt: number | undefined;
  private problem: string | undefined;
  private lastError: string | undefined;
  private starting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly logger: Logger;

  constructor(
    target: RedisTarget,
    private readonly role: string,
    timeoutMs: number,
    private readonly check: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.name = redisName(target);
    this.logger = new Logger('Redis');
    this.client = new Redis({
      host: target.host,
      port: target.port,
      db: target.db,
      connectionName: `semicache-server-${role}`,
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      // The ready check waits while Redis loads its data (LOADING) before any command is sent.
      enableReadyCheck: true,
      retryStrategy: (times) => Math.min(25 * 2 ** Math.min(times, 6), 1000),
    });
    this.client.on('ready', () => this.connected());
    this.client.on('close', () => this.lost());
    // Failures reach the commands themselves and 'close'; without a listener ioredis prints them.
    this.client.on('error', (error: Error) => (this.lastError = error.message));
  }

  /** Connected and checked. */
  get up(): boolean {
    return this.ready;
  }

  /** Why it is not up, for error replies and /health. */
  get failure(): string | undefined {
    if (this.ready) return undefined;
    if (this.problem !== undefined) return this.problem;
    return `Redis at ${this.name} is unreachable${this.lastError ? ` (${this.lastError})` : ''}`;
  }

  /** The first connection: resolves once up; rejects if Redis cannot be reached or checked. */
  async open(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => (this.starting = { resolve, reject }));
    this.client.connect().catch((error: Error) => {
      const why = this.lastError ?? error.message;
      this.starting?.reject(new Error(`cannot reach Redis at ${this.name}: ${why}`));
    });
    try {
      await first;
    } catch (error) {
      this.client.disconnect();
      throw error;
    } finally {
      this.starting = undefined;
    }
  }

  /** Fails at once with STORE_UNAVAILABLE unless up. */
  assertUp(): void {
    const failure = this.failure;
    if (failure !== undefined) throw new ProtocolError('STORE_UNAVAILABLE', failure);
  }

  /** A failed command as the protocol answers it: the store is unavailable, and why. */
  unavailable(error: unknown): ProtocolError {
    if (error instanceof ProtocolError) return error;
    return new ProtocolError(
      'STORE_UNAVAILABLE',
      `Redis at ${this.name}: ${(error as Error).message}`,
    );
  }

  /** Waits for the replies to commands already sent, then disconnects. */
  async close(): Promise<void> {
    this.ready = false;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private connected(): void {
    this.lastError = undefined;
    this.check().then(
      () => {
        if (this.client.status !== 'ready') return;
        this.ready = true;
        this.problem = undefined;
        const downMs =
          this.lostAt === undefined ? undefined : Math.round(performance.now() - this.lostAt);
        this.logger.log({ msg: 'redis connected', redis: this.name, role: this.role, downMs });
        this.lostAt = undefined;
        this.starting?.resolve();
      },
      (error: Error) => {
        this.problem = error.message;
        if (this.starting !== undefined) this.starting.reject(error);
        // A check that could not run (a timeout, say) runs again on a fresh connection.
        else if (!(error instanceof StoreMismatchError)) this.client.disconnect(true);
        else
          this.logger.error({ msg: 'redis table refused', redis: this.name, error: error.message });
      },
    );
  }

  private lost(): void {
    if (!this.ready) return;
    this.ready = false;
    this.lostAt = performance.now();
    // Requests that need Redis fail with STORE_UNAVAILABLE until it is back.
    this.logger.warn({
      msg: 'redis lost',
      redis: this.name,
      role: this.role,
      reason: this.lastError ?? 'closed',
    });
  }
}
