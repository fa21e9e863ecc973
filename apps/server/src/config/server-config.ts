import {
  flagSchema,
  listenerOptions,
  listenerSchema,
  loggingOptions,
  loggingSchema,
  parseConfig,
} from '@semicache/runtime';
import { z } from 'zod';

export const serverConfigSchema = listenerSchema.merge(loggingSchema).extend({
  size: z.coerce.number().int().min(1).max(1_000_000),
  dataDir: z.string().min(1),
  inMemory: flagSchema,
});
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
      {
        flags: '--size <n>',
        description: 'entries in the table',
        env: `${PREFIX}_SIZE`,
        default: '10',
      },
      {
        flags: '--data-dir <dir>',
        description: 'where the table is kept on disk',
        env: `${PREFIX}_DATA_DIR`,
        default: './data',
      },
      {
        flags: '--in-memory [true|false]',
        description: 'keep the table in memory only (nothing survives a restart)',
        env: `${PREFIX}_IN_MEMORY`,
      },
    ],
    serverConfigSchema,
    argv,
  );
}
