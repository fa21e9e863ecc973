import { EVICTION_POLICIES, MAX_SHADOW_CAPACITY } from '@semicache/policies';
import {
  eventOptions,
  eventsSchema,
  hostPortListSchema,
  listenerOptions,
  listenerSchema,
  loggingOptions,
  loggingSchema,
  nonNegativeInt,
  parseConfig,
  positiveInt,
  redisUrlSchema,
} from '@semicache/runtime';
import { FRAMINGS } from '@semicache/client';
import { z } from 'zod';

/**
 * The most trace entries the proxy keeps for OPT (`--trace-window`): OPT's look-ahead over a
 * million takes a few hundred milliseconds, well within its budget (see docs/policies.md).
 */
export const MAX_TRACE_WINDOW = 1_000_000;

/** A secret for the admin API's writes: visible characters, as a Bearer token carries them. */
export const adminTokenSchema = z
  .string()
  .regex(/^[\x21-\x7e]+$/, 'expected a token of visible ASCII characters, without spaces');

export const proxyConfigSchema = listenerSchema
  .merge(loggingSchema)
  .merge(eventsSchema)
  .extend({
    upstream: hostPortListSchema,
    invalidation: redisUrlSchema.optional(),
    capacity: positiveInt,
    eviction: z.enum(EVICTION_POLICIES),
    shadows: z.enum(['on', 'off']).transform((value) => value === 'on'),
    /** Unset: twice the capacity (at most 64), following the capacity when it changes. */
    shadowMaxCapacity: z.coerce.number().int().min(1).max(MAX_SHADOW_CAPACITY).optional(),
    traceWindow: z.coerce.number().int().min(1).max(MAX_TRACE_WINDOW),
    // An empty variable is no token, as if it were unset.
    adminToken: z.preprocess(
      (value) => (value === '' ? undefined : value),
      adminTokenSchema.optional(),
    ),
    upstreamTimeoutMs: positiveInt,
    upstreamConnectTimeoutMs: positiveInt,
    reconnectMinMs: positiveInt,
    reconnectMaxMs: positiveInt,
    upstreamFraming: z.enum(FRAMINGS),
    heatSeries: nonNegativeInt,
    heatLimit: positiveInt.max(10_000_000),
  });
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;

/** The largest capacity `PUT /config` takes. */
export const MAX_CAPACITY = 2 ** 31 - 1;

/** The body of `PUT /config`: a new capacity, a new policy, or both; nothing else. */
export const configChangeSchema = z
  .object(
    {
      capacity: z.number().int().min(1).max(MAX_CAPACITY),
      eviction: z.enum(EVICTION_POLICIES),
    },
    {
      invalid_type_error: 'expected a JSON object such as {"capacity": 8, "eviction": "lru"}',
      required_error: 'expected a JSON body such as {"capacity": 8, "eviction": "lru"}',
    },
  )
  .partial()
  .strict()
  .refine((change) => change.capacity !== undefined || change.eviction !== undefined, {
    message: 'give "capacity", "eviction" or both',
  });

export const PROXY_CONFIG = Symbol('PROXY_CONFIG');

const PREFIX = 'SEMICACHE_PROXY';

/** Reads the proxy's flags and environment once, at start; exits with a message if invalid. */
export function loadProxyConfig(argv: readonly string[] = process.argv): ProxyConfig {
  return parseConfig(
    'semicache-proxy',
    'The semicache proxy: caches part of the server table and serves the semicolon protocol.',
    [
      ...listenerOptions(PREFIX, { port: 6001, adminPort: 9001, idleTimeoutMs: 300_000 }),
      ...loggingOptions(PREFIX),
      ...eventOptions(PREFIX),
      {
        flags: '--upstream <host:port,...>',
        description:
          'the server to cache; several serving one table (a shared --store redis): the first that is up is used, the next when it goes down, the first again when it is back',
        env: `${PREFIX}_UPSTREAM`,
        default: '127.0.0.1:6002',
      },
      {
        flags: '--invalidation <url>',
        description:
          'listen for the invalidations servers publish on this Redis (redis://HOST:PORT/DB) and drop what they name; while not listening, every read goes to the server',
        env: `${PREFIX}_INVALIDATION`,
      },
      {
        flags: '--capacity <n>',
        description: 'entries the cache holds (half the default table)',
        env: `${PREFIX}_CAPACITY`,
        default: '5',
      },
      {
        flags: '--eviction <policy>',
        description:
          'which entry a full cache drops: fifo (the oldest stored), lru (the least recently used), clock (second chance), lfu (the least frequently used), sieve or arc (see docs/policies.md)',
        env: `${PREFIX}_EVICTION`,
        default: 'fifo',
      },
      {
        flags: '--shadows <on|off>',
        description:
          'shadow caches of every policy at capacities 1..--shadow-max-capacity, fed the live traffic (GET /policies)',
        env: `${PREFIX}_SHADOWS`,
        default: 'on',
      },
      {
        flags: '--shadow-max-capacity <n>',
        description: `largest capacity shadowed, 1..${MAX_SHADOW_CAPACITY} (default: twice the capacity, at most ${MAX_SHADOW_CAPACITY})`,
        env: `${PREFIX}_SHADOW_MAX_CAPACITY`,
      },
      {
        flags: '--trace-window <n>',
        description: 'recent trace entries (lookups, writes, clears) kept for OPT in GET /policies',
        env: `${PREFIX}_TRACE_WINDOW`,
        default: '100000',
      },
      {
        flags: '--admin-token <token>',
        description:
          'the token the admin API\'s writes (PUT /config) require, as "Authorization: Bearer TOKEN"; without one they are refused',
        env: `${PREFIX}_ADMIN_TOKEN`,
      },
      {
        flags: '--upstream-timeout-ms <ms>',
        description: 'an upstream request with no reply after this fails with UPSTREAM_TIMEOUT',
        env: `${PREFIX}_UPSTREAM_TIMEOUT_MS`,
        default: '2000',
      },
      {
        flags: '--upstream-connect-timeout-ms <ms>',
        description: 'give up one connection attempt to the server after this',
        env: `${PREFIX}_UPSTREAM_CONNECT_TIMEOUT_MS`,
        default: '1000',
      },
      {
        flags: '--reconnect-min-ms <ms>',
        description: 'first pause before reconnecting to the server (doubles each failure)',
        env: `${PREFIX}_RECONNECT_MIN_MS`,
        default: '50',
      },
      {
        flags: '--reconnect-max-ms <ms>',
        description: 'longest pause between reconnection attempts',
        env: `${PREFIX}_RECONNECT_MAX_MS`,
        default: '2000',
      },
      {
        flags: '--upstream-framing <framing>',
        description:
          'how requests go to the server: line (pipelined, ended by a line feed), bare (one at a time, no terminator, for servers that read one message per recv) or auto (line if the first reply comes back as a line, else bare)',
        env: `${PREFIX}_UPSTREAM_FRAMING`,
        default: 'auto',
      },
      {
        flags: '--heat-series <n>',
        description:
          'Prometheus gets per-index series (semicache_index_*_total{index}) for this many of the hottest indices',
        env: `${PREFIX}_HEAT_SERIES`,
        default: '20',
      },
      {
        flags: '--heat-limit <n>',
        description:
          'distinct indices whose heat is counted (exactly up to this many; past it, the hottest, approximately)',
        env: `${PREFIX}_HEAT_LIMIT`,
        default: '10000',
      },
    ],
    proxyConfigSchema,
    argv,
  );
}
