import { z } from 'zod';

/**
 * The Redis channel on which servers publish the writes they acknowledge and proxies listen.
 * Pub/sub channels are global to a Redis (not per database): tables sharing one Redis share it.
 */
export const INVALIDATION_CHANNEL = 'semicache.invalidations';

/**
 * One acknowledged write, as published: the indices a PUT wrote with the values they now hold
 * (each index once, its last value), or a CLR; `ackedAtUs` is when the write was acknowledged
 * where it was made durable (microseconds since the epoch), to measure how late proxies apply it.
 */
export const invalidationSchema = z
  .discriminatedUnion('op', [
    z.object({
      op: z.literal('PUT'),
      indices: z.array(z.number().int().min(0)).min(1),
      values: z.array(z.string().regex(/^-?\d{1,19}$/)),
      ackedAtUs: z.number().positive(),
    }),
    z.object({ op: z.literal('CLR'), ackedAtUs: z.number().positive() }),
  ])
  // A value for each index: a message that pairs them otherwise is unreadable, not half applied.
  .refine((message) => message.op === 'CLR' || message.values.length === message.indices.length, {
    message: 'indices and values differ in length',
  });
export type Invalidation = z.infer<typeof invalidationSchema>;

/**
 * The message for a write, but for its time and the closing braces: `<head><ackedAtUs>}}`. The
 * envelope is the one Nest's Redis transport reads (`{"pattern": CHANNEL, "data": ...}`, no `id`:
 * an event), so a Lua script can complete and publish it as it is.
 */
export function invalidationHead(
  write: { op: 'PUT'; indices: readonly number[]; values: readonly bigint[] } | { op: 'CLR' },
): string {
  const data =
    write.op === 'CLR'
      ? '{"op":"CLR",'
      : `{"op":"PUT","indices":[${write.indices.join(',')}],"values":[${write.values.map((value) => `"${value}"`).join(',')}],`;
  return `{"pattern":"${INVALIDATION_CHANNEL}","data":${data}"ackedAtUs":`;
}

/** The wall clock as the monotonic clock counts it, from `performance.timeOrigin` at first. */
let offsetMs = performance.timeOrigin;
let checkedAt = 0;

/**
 * Microseconds since the epoch, with the monotonic clock's precision. The wall clock (NTP) may
 * be slewed while the process runs: every 10 s, an offset more than 2 ms off the wall clock is
 * set again, so the time stays within a few ms of what another process (or Redis) reads.
 */
export function epochMicros(): number {
  const now = performance.now();
  if (now - checkedAt > 10_000) {
    checkedAt = now;
    // Date.now() is truncated to the ms: +0.5 centres it.
    const wall = Date.now() + 0.5 - now;
    if (Math.abs(wall - offsetMs) > 2) offsetMs = wall;
  }
  return Math.round((offsetMs + now) * 1000);
}
