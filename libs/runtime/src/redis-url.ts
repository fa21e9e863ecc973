import { z } from 'zod';

/** A Redis to reach, as `redis://HOST:PORT/DB` says it (the port defaults to 6379, the DB to 0). */
export interface RedisTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
}

/** `redis://HOST[:PORT][/DB]`, as in `--redis-url redis://127.0.0.1:6379/0`. */
export const redisUrlSchema = z.string().transform((value, ctx): RedisTarget => {
  const match = /^redis:\/\/(\[[^\]]+\]|[^:/[\]]+)(?::(\d{1,5}))?(?:\/(\d{1,2})?)?$/.exec(
    value.trim(),
  );
  const port = match?.[2] === undefined ? 6379 : Number(match[2]);
  const db = match?.[3] === undefined ? 0 : Number(match[3]);
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'expected redis://HOST:PORT/DB with a port from 1 to 65535',
    });
    return z.NEVER;
  }
  const host = match[1].replace(/^\[(.*)\]$/, '$1');
  return { url: value.trim(), host, port, db };
});

/** How a Redis is named in messages and on /health: `HOST:PORT/DB`. */
export function redisName(target: RedisTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}/${target.db}`;
}
