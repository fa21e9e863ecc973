import { RedisServer } from './redis';

/**
 * The server's stores that the operation, error and durability suites run against: the same
 * tests, one `describe.each(STORES)` each.
 */
export const STORES = ['memory', 'redis'] as const;
export type TestStore = (typeof STORES)[number];

let redis: Promise<RedisServer> | undefined;
let tables = 0;

/** This test file's redis-server, started at first use (and again if `stopAll` killed it). */
export async function sharedRedis(): Promise<RedisServer> {
  const running = redis === undefined ? undefined : await redis;
  if (running === undefined || !running.running) redis = RedisServer.start();
  return redis!;
}

/**
 * Server flags for a fresh, empty table in `store`: in memory, or under a new key prefix in this
 * file's redis-server.
 */
export async function storeFlags(store: TestStore): Promise<string[]> {
  if (store === 'memory') return ['--in-memory'];
  const server = await sharedRedis();
  return ['--store', 'redis', '--redis-url', server.url(), '--redis-prefix', `table${++tables}`];
}
