import type { ErrorCode } from '@semicache/protocol';
import { performance } from 'node:perf_hooks';

export type RequestOutcome = 'ok' | 'error';

/** What the transport reports, so that metrics stay out of the transport itself. */
export interface TransportObserver {
  connectionOpened(): void;
  connectionClosed(): void;
  /**
   * `op` is the request's OP (read from a malformed request where possible), else 'none';
   * `source` where the answer came from (the event's source: `error` for an error reply).
   */
  requestCompleted(op: string, outcome: RequestOutcome, seconds: number, source: string): void;
  errorReplied(code: ErrorCode): void;
}

export const NO_OBSERVER: TransportObserver = {
  connectionOpened: () => undefined,
  connectionClosed: () => undefined,
  requestCompleted: () => undefined,
  errorReplied: () => undefined,
};

/** Seconds since `started` (a `performance.now()` reading), as the metrics want them. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
