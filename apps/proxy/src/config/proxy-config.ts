import type { EvictionPolicyName } from '@semicache/policies';
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

/** The policies the live cache offers so far (the library has more, wired in later). */
export const PROXY_EVICTION_POLICIES = [
  'fifo',
  'lru',
] as const satisfies readonly EvictionPolicyName[];

export const proxyConfigSchema = listenerSchema
  .merge(loggingSchema)
  .merge(eventsSchema)
  .extend({
    upstream: hostPortListSchema,
    invalidation: redisUrlSchema.optional(),
    capacity: positiveInt,
    eviction: z.enum(PROXY_EVICTION_POLICIES),
    upstreamTimeoutMs: positiveInt,
    upstreamConnectTimeoutMs: positiveInt,
    reconnectMinMs: positiveInt,
    reconnectMaxMs: positiveInt,
    upstreamFraming: z.enum(FRAMINGS),
    heatSeries: nonNegativeInt,
    heatLimit: positiveInt.max(10_000_000),
  });
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;

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
          'which entry a full cache drops: fifo (the oldest stored) or lru (the least recently used)',
        env: `${PREFIX}_EVICTION`,
        default: 'fifo',
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
