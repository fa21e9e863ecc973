import { BadRequestException } from '@nestjs/common';

/**
 * A `?limit=` query parameter: a positive whole number, `fallback` when absent; anything else
 * is a 400 answer `BAD_LIMIT` with a message saying why.
 */
export function queryLimit(raw: string | readonly string[] | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new BadRequestException({
      error: 'BAD_LIMIT',
      message: `limit: ${JSON.stringify(raw)} is not a positive whole number`,
    });
  }
  return Number(raw);
}
