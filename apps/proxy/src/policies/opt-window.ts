import { type PolicyResult, type Trace, planBelady } from '@semicache/policies';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/** OPT over a trace, as far as a time budget allowed. */
export interface OptRun {
  /** OPT at capacities 1, 2, ... up to the last one computed within the budget. */
  readonly results: PolicyResult[];
  /** Whether every capacity asked for was computed. */
  readonly complete: boolean;
  readonly elapsedMs: number;
}

/**
 * Bélády's OPT over `trace` at capacities 1..maxCapacity, one capacity per turn of the event
 * loop (the proxy answers requests in between), smallest first. Once `budgetMs` has passed, no
 * further capacity is begun: the answer then holds the capacities done so far (always at least
 * the first). The look-ahead over the whole trace is made once, before the first capacity.
 */
export async function optWithin(
  trace: Trace,
  maxCapacity: number,
  budgetMs: number,
  clock: () => number = () => performance.now(),
): Promise<OptRun> {
  const started = clock();
  const atCapacity = planBelady(trace);
  const results: PolicyResult[] = [];
  for (let capacity = 1; capacity <= maxCapacity; capacity++) {
    if (capacity > 1) {
      if (clock() - started >= budgetMs) break;
      await nextTurn();
    }
    results.push(atCapacity(capacity));
  }
  return {
    results,
    complete: results.length === maxCapacity,
    elapsedMs: clock() - started,
  };
}
