import { ProtocolError } from './errors';
import type { Request } from './messages';

/** Checks every index of a request against a table of `size` entries, before anything is applied. */
export function assertIndicesWithin(request: Request, size: number): void {
  if (request.op === 'CLR') return;
  for (const index of request.indices) {
    if (index >= size) {
      throw new ProtocolError('BAD_INDEX', `index ${index} is outside 0..${size - 1}`);
    }
  }
}
