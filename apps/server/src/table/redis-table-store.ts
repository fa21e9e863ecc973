import { Logger } from '@nestjs/common';
import { parseInt64 } from '@semicache/protocol';
import { INVALIDATION_CHANNEL, type RedisTarget, invalidationHead } from '@semicache/runtime';
import type { Result } from 'ioredis';
import { RedisConnection, StoreMismatchError } from '../redis/redis-connection';
import type { TableStore } from './table-store';

/** Index/value pairs per HSET inside the write script (Lua's unpack has a stack limit). */
const PAIRS_PER_HSET = 1000;

/**
 * A write and its invalidation in one script, so both happen or neither, and invalidations are
 * published in the order the writes are applied (Redis runs one script at a time). ARGV: the
 * channel ('' for none), the invalidation message but for its time, then (PUT) index, value, ...
 * The time is Redis's own, when the write is applied: the message is published before any
 * server can acknowledge the write.
 */
const PUBLISH = `
if ARGV[1] ~= '' then
  local now = redis.call('TIME')
  redis.call('PUBLISH', ARGV[1], ARGV[2] .. now[1] .. string.format('%06d', tonumber(now[2])) .. '}}')
end`;

const PUT_SCRIPT = `
for first = 3, #ARGV, ${2 * PAIRS_PER_HSET} do
  redis.call('HSET', KEYS[1], unpack(ARGV, first, math.min(first + ${2 * PAIRS_PER_HSET - 1}, #ARGV)))
end${PUBLISH}
return 1`;

const CLEAR_SCRIPT = `
redis.call('DEL', KEYS[1])${PUBLISH}
return 1`;

/** The table size recorded under the prefix, recorded now if there is none (nil then). */
const SIZE_SCRIPT = `
local recorded = redis.call('GET', KEYS[1])
if recorded then return recorded end
redis.call('SET', KEYS[1], ARGV[1])
return false`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    semicachePut(table: string, ...args: string[]): Result<number, Context>;
    semicacheClear(table: string, channel: string, head: string): Result<number, Context>;
    semicacheSize(key: string, size: string): Result<string | null, Context>;
  }
}

export interface RedisStoreOptions {
  readonly target: RedisTarget;
  readonly prefix: string;
  readonly size: number;
  readonly timeoutMs: number;
  /** Publish each write's invalidation (in the write's own script). */
  readonly invalidations: boolean;
}

/**
 * `--store redis`: the table in a Redis hash `PREFIX:table` (field = index, value = decimal
 * string; an absent field is 0), its size in `PREFIX:size`. The server keeps nothing itself, so
 * several servers can serve one table. Every operation is one command on one connection, sent in
 * arrival order: Redis applies them in that order and answers in that order (a pipelined PUT then
 * GET reads its own write). A PUT of several indices and a CLR are each one script, so atomic. A
 * write is acknowledged once Redis acknowledged it (durable as far as Redis's persistence
 * settings make it: see docs/scale-out.md).
 */
export class RedisTableStore implements TableStore {
  private readonly connection: RedisConnection;
  private readonly tableKey: string;
  private readonly sizeKey: string;
  private readonly channel: string;
  private checkedOnce = false;
  private readonly logger = new Logger('TableStore');

  private constructor(private readonly options: RedisStoreOptions) {
    this.tableKey = `${options.prefix}:table`;
    this.sizeKey = `${options.prefix}:size`;
    this.channel = options.invalidations ? INVALIDATION_CHANNEL : '';
    this.connection = new RedisConnection(options.target, 'store', options.timeoutMs, () =>
      this.checkSize(),
    );
    const { client } = this.connection;
    client.defineCommand('semicachePut', { numberOfKeys: 1, lua: PUT_SCRIPT });
    client.defineCommand('semicacheClear', { numberOfKeys: 1, lua: CLEAR_SCRIPT });
    client.defineCommand('semicacheSize', { numberOfKeys: 1, lua: SIZE_SCRIPT });
  }

  /** Connects, and checks (or records) the table size; rejects with a clear reason. */
  static async open(options: RedisStoreOptions): Promise<RedisTableStore> {
    const store = new RedisTableStore(options);
    await store.connection.open();
    store.logger.log({
      msg: 'table opened',
      redis: store.connection.name,
      prefix: options.prefix,
      entries: options.size,
    });
    return store;
  }

  get size(): number {
    return this.options.size;
  }

  get failure(): string | undefined {
    return this.connection.failure;
  }

  async read(indices: readonly number[]): Promise<bigint[]> {
    this.connection.assertUp();
    let found: (string | null)[];
    try {
      found = await this.connection.client.hmget(this.tableKey, ...indices.map(String));
    } catch (error) {
      throw this.connection.unavailable(error);
    }
    return found.map((text, position) => this.value(indices[position], text));
  }

  async entries(): Promise<bigint[]> {
    this.connection.assertUp();
    let all: Record<string, string>;
    try {
      all = await this.connection.client.hgetall(this.tableKey);
    } catch (error) {
      throw this.connection.unavailable(error);
    }
    const values = new Array<bigint>(this.size).fill(0n);
    for (const [field, text] of Object.entries(all)) {
      const index = Number(field);
      if (Number.isInteger(index) && index >= 0 && index < this.size) {
        values[index] = this.value(index, text);
      }
    }
    return values;
  }

  async put(indices: readonly number[], values: readonly bigint[]): Promise<void> {
    this.connection.assertUp();
    // Each index once, with its last value: what the table holds after the PUT.
    const last = new Map<number, bigint>();
    indices.forEach((index, position) => last.set(index, values[position]));
    const args: string[] = [this.channel, this.head({ op: 'PUT', written: last })];
    for (const [index, value] of last) args.push(String(index), value.toString());
    try {
      await this.connection.client.semicachePut(this.tableKey, ...args);
    } catch (error) {
      throw this.connection.unavailable(error);
    }
  }

  async clear(): Promise<void> {
    this.connection.assertUp();
    try {
      await this.connection.client.semicacheClear(
        this.tableKey,
        this.channel,
        this.head({ op: 'CLR' }),
      );
    } catch (error) {
      throw this.connection.unavailable(error);
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private head(write: { op: 'PUT'; written: Map<number, bigint> } | { op: 'CLR' }): string {
    if (this.channel === '') return '';
    if (write.op === 'CLR') return invalidationHead(write);
    return invalidationHead({
      op: 'PUT',
      indices: [...write.written.keys()],
      values: [...write.written.values()],
    });
  }

  private value(index: number, text: string | null): bigint {
    if (text === null) return 0n;
    try {
      return parseInt64(text);
    } catch {
      throw new Error(
        `Redis holds "${text.slice(0, 24)}" at index ${index} of ${this.tableKey}, not a signed 64-bit integer`,
      );
    }
  }

  private async checkSize(): Promise<void> {
    const recorded = await this.connection.client.semicacheSize(this.sizeKey, String(this.size));
    if (recorded === null) {
      // A table recorded before and gone now: Redis lost its data (no persistence, or flushed).
      if (this.checkedOnce) {
        this.logger.error({
          msg: 'redis table lost',
          redis: this.connection.name,
          prefix: this.options.prefix,
          entries: this.size,
        });
      }
    } else if (recorded !== String(this.size)) {
      throw new StoreMismatchError(
        `Redis at ${this.connection.name} holds a table of ${recorded} entries under prefix "${this.options.prefix}" but --size is ${this.size}; start with --size ${recorded} or use another --redis-prefix`,
      );
    }
    this.checkedOnce = true;
  }
}
