import {
  eventOptions,
  eventsSchema,
  flagSchema,
  listenerOptions,
  listenerSchema,
  loggingOptions,
  loggingSchema,
  parseConfig,
  positiveInt,
  redisUrlSchema,
} from '@semicache/runtime';
import { z } from 'zod';

export const STORES = ['file', 'memory', 'redis'] as const;
export type StoreKind = (typeof STORES)[number];

export const serverConfigSchema = listenerSchema
  .merge(loggingSchema)
  .merge(eventsSchema)
  .extend({
    size: z.coerce.number().int().min(1).max(1_000_000),
    store: z.enum(STORES),
    dataDir: z.string().min(1),
    inMemory: flagSchema,
    redisUrl: redisUrlSchema,
    redisPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1 to 64 letters, digits or _ . : -'),
    redisTimeoutMs: positiveInt,
    invalidation: redisUrlSchema.optional(),
  })
  .superRefine((config, ctx) => {
    if (config.inMemory && config.store === 'redis') {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['inMemory'],
        message: '--in-memory is --store memory: it cannot go with --store redis',
      });
    }
    const { invalidation, redisUrl } = config;
    if (
      config.store === 'redis' &&
      invalidation !== undefined &&
      (invalidation.host !== redisUrl.host || invalidation.port !== redisUrl.port)
    ) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['invalidation'],
        message:
          'with --store redis, invalidations are published by the script that writes, so --invalidation must name the Redis of --redis-url',
      });
    }
  })
  // `--in-memory` is the older spelling of `--store memory`.
  .transform((config) => ({
    ...config,
    store: config.inMemory ? ('memory' as const) : config.store,
  }));
export type ServerConfig = z.infer<typeof serverConfigSchema>;

export const SERVER_CONFIG = Symbol('SERVER_CONFIG');

const PREFIX = 'SEMICACHE_SERVER';

/** Reads the server's flags and environment once, at start; exits with a message if invalid. */
export function loadServerConfig(argv: readonly string[] = process.argv): ServerConfig {
  return parseConfig(
    'semicache-server',
    'The semicache server: holds the whole table and serves the semicolon protocol.',
    [
      // No idle timeout by default: the server's usual client is the proxy's one long-lived
      // connection, which an idle timeout would cut whenever traffic stops; TCP keepalive
      // finds peers that are gone.
      ...listenerOptions(PREFIX, { port: 6002, adminPort: 9002, idleTimeoutMs: 0 }),
      ...loggingOptions(PREFIX),
      ...eventOptions(PREFIX),
      {
        flags: '--size <n>',
        description: 'entries in the table',
        env: `${PREFIX}_SIZE`,
        default: '10',
      },
      {
        flags: '--store <kind>',
        description:
          'where the table is kept: file (on disk under --data-dir), memory (nothing survives a restart) or redis (in Redis at --redis-url, shareable by several servers)',
        env: `${PREFIX}_STORE`,
        default: 'file',
      },
      {
        flags: '--data-dir <dir>',
        description: 'where the file store keeps the table',
        env: `${PREFIX}_DATA_DIR`,
        default: './data',
      },
      {
        flags: '--in-memory [true|false]',
        description: 'the same as --store memory',
        env: `${PREFIX}_IN_MEMORY`,
      },
      {
        flags: '--redis-url <url>',
        description: 'the Redis of --store redis, redis://HOST:PORT/DB',
        env: `${PREFIX}_REDIS_URL`,
        default: 'redis://127.0.0.1:6379/0',
      },
      {
        flags: '--redis-prefix <prefix>',
        description: 'prefix of the Redis keys of this table (tables can share one Redis)',
        env: `${PREFIX}_REDIS_PREFIX`,
        default: 'semicache',
      },
      {
        flags: '--redis-timeout-ms <ms>',
        description:
          'a Redis command (of the store or of invalidations) with no reply after this fails with STORE_UNAVAILABLE',
        env: `${PREFIX}_REDIS_TIMEOUT_MS`,
        default: '1000',
      },
      {
        flags: '--invalidation <url>',
        description:
          'publish every acknowledged PUT and CLR on this Redis (redis://HOST:PORT/DB) for proxies to drop what they cache',
        env: `${PREFIX}_INVALIDATION`,
      },
    ],
    serverConfigSchema,
    argv,
  );
}
