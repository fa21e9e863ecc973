import { ProtocolError, excerpt } from './errors';
import type { Request, SuccessReply } from './messages';

/** Checks every index of a request against a table of `size` entries, before anything is applied. */
export function assertIndicesWithin(request: Request, size: number): void {
  if (request.op === 'CLR') return;
  for (const index of request.indices) {
    if (index >= size) {
      throw new ProtocolError('BAD_INDEX', `index ${index} is outside 0..${size - 1}`);
    }
  }
}

function sameList<T>(left: readonly T[], right: readonly T[]): boolean {
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

/**
 * Why a successful reply does not answer `request`, or undefined if it does: the same OP, the
 * request's indices echoed in order (a GET reply's values are as many, which the parser checks),
 * and a PUT's values as written.
 */
export function replyMismatch(request: Request, reply: SuccessReply): string | undefined {
  if (reply.op !== request.op) return `${reply.op} reply to ${request.op}`;
  if (request.op === 'CLR' || reply.op === 'CLR') return undefined;
  if (!sameList(reply.indices, request.indices)) {
    return `${reply.op} reply for IND=${excerpt(reply.indices.join(','))} to IND=${excerpt(request.indices.join(','))}`;
  }
  if (request.op === 'PUT' && reply.op === 'PUT' && !sameList(reply.values, request.values)) {
    return `PUT reply with DATA=${excerpt(reply.values.join(','))} to DATA=${excerpt(request.values.join(','))}`;
  }
  return undefined;
}
