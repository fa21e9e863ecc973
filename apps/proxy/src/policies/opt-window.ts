import { type PackedTrace, type PolicyResult, beladySteps } from '@semicache/policies';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/**
 * Trace entries OPT works through between two turns of the event loop: a few milliseconds of
 * work, so the proxy keeps answering while it runs.
 */
export const OPT_CHUNK = 1 << 16;

/** OPT over a trace, as far as a time budget allowed. */
export interface OptRun {
  /** OPT at capacities 1, 2, ... up to the last one completed within the budget (maybe none). */
  readonly results: PolicyResult[];
  /** Whether every capacity asked for was computed. */
  readonly complete: boolean;
  readonly elapsedMs: number;
}

export interface OptOptions {
  readonly clock?: () => number;
  readonly chunk?: number;
}

/**
 * Bélády's OPT at capacities 1..maxCapacity, smallest first, over the trace `snapshot` gives,
 * taken once the clock runs. The work goes in chunks of `chunk` entries, one per turn of the
 * event loop (the proxy answers requests in between); once `budgetMs` has passed, it stops
 * between two chunks, even within the look-ahead or a capacity: the answer then holds the
 * capacities completed so far.
 */
export async function optWithin(
  snapshot: () => PackedTrace,
  maxCapacity: number,
  budgetMs: number,
  { clock = () => performance.now(), chunk = OPT_CHUNK }: OptOptions = {},
): Promise<OptRun> {
  const started = clock();
  const capacities = Array.from({ length: maxCapacity }, (_, i) => i + 1);
  const results: PolicyResult[] = [];
  for (const step of beladySteps(snapshot(), capacities, chunk)) {
    if (step) results.push(step);
    if (results.length === maxCapacity || clock() - started >= budgetMs) break;
    await nextTurn();
  }
  return {
    results,
    complete: results.length === maxCapacity,
    elapsedMs: clock() - started,
  };
}
