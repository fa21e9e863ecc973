import type { DecisionEvent } from '@semicache/client/events-api';

/** The seconds the hit-ratio chart covers. */
export const WINDOW_SECONDS = 60;

export interface LookupSeries {
  /** Unix seconds, one a second, the last one `now`'s. */
  readonly seconds: number[];
  /** Hits / lookups in each second, null in a second without lookups. */
  readonly ratio: (number | null)[];
  readonly lookups: number[];
}

/**
 * Hits and misses per second of event time over the last minute: the chart's data, kept from
 * the events as they come (an event counts in the second its reply was ready).
 */
export class LookupWindow {
  private readonly buckets = new Map<number, { hits: number; misses: number }>();

  add(events: readonly DecisionEvent[]): void {
    for (const event of events) {
      let hits = 0;
      let misses = 0;
      for (const decision of event.decisions) {
        if (decision.kind === 'hit') hits++;
        else if (decision.kind === 'miss') misses++;
      }
      if (hits + misses === 0) continue;
      const second = Math.floor(Date.parse(event.time) / 1000);
      const bucket = this.buckets.get(second) ?? { hits: 0, misses: 0 };
      bucket.hits += hits;
      bucket.misses += misses;
      this.buckets.set(second, bucket);
    }
  }

  clear(): void {
    this.buckets.clear();
  }

  /** The minute up to `nowMs`, a point a second; forgets what is older. */
  series(nowMs: number): LookupSeries {
    const last = Math.floor(nowMs / 1000);
    const first = last - WINDOW_SECONDS + 1;
    for (const second of this.buckets.keys()) if (second < first) this.buckets.delete(second);
    const series: LookupSeries = { seconds: [], ratio: [], lookups: [] };
    for (let second = first; second <= last; second++) {
      const bucket = this.buckets.get(second);
      const lookups = bucket ? bucket.hits + bucket.misses : 0;
      series.seconds.push(second);
      series.lookups.push(lookups);
      series.ratio.push(bucket && lookups > 0 ? bucket.hits / lookups : null);
    }
    return series;
  }

  /** Hits and lookups over the minute up to `nowMs`. */
  totals(nowMs: number): { hits: number; lookups: number } {
    const first = Math.floor(nowMs / 1000) - WINDOW_SECONDS + 1;
    let hits = 0;
    let lookups = 0;
    for (const [second, bucket] of this.buckets) {
      if (second < first) continue;
      hits += bucket.hits;
      lookups += bucket.hits + bucket.misses;
    }
    return { hits, lookups };
  }
}
