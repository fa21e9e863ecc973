import { ProtocolError } from './errors';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** Sums signed 64-bit values; a sum outside the range is an OVERFLOW, never a wrap-around. */
export function sumInt64(values: Iterable<bigint>): bigint {
  let sum = 0n;
  for (const value of values) sum += value;
  if (!isInt64(sum)) {
    throw new ProtocolError('OVERFLOW', `sum ${sum} is outside the signed 64-bit range`);
  }
  return sum;
}
