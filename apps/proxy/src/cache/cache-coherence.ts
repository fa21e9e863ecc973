import type { EventRecord } from '@semicache/events';
import type { Invalidation } from '@semicache/runtime';
import type { EntryCache } from './entry-cache';
import { WriteFence } from './write-fence';

/**
 * Keeps the cache coherent with the table: with the writes that go through this proxy (the
 * `WriteFence`) and, with `--invalidation`, with those that go through other proxies (the
 * invalidations servers publish). The cache service asks it what it may serve and store.
 *
 * Listening for invalidations, the proxy can only trust its cache while subscribed: while the
 * subscription is down it cannot know what it misses, so nothing is served from the cache or
 * stored in it (every read goes to the server), the cache is emptied when the subscription is
 * lost, and everything is taken as invalidated when it is back (reads in flight then store
 * nothing). The rule Redis's own client-side caching follows.
 */
export class CacheCoherence {
  readonly fence = new WriteFence();
  private trusted: boolean;

  constructor(
    private readonly cache: EntryCache,
    /** Whether the proxy listens for invalidations (`--invalidation`). */
    readonly listening: boolean,
  ) {
    this.trusted = !listening;
  }

  /** Whether the cache may be used now: always without invalidations, else while subscribed. */
  get subscribed(): boolean {
    return this.trusted;
  }

  /** Whether `index` may be served from the cache now. */
  mayServe(index: number): boolean {
    return this.trusted && !this.fence.writing(index);
  }

  /** Whether a value of `index` fetched by a read started at `since` may be cached. */
  mayStore(index: number, since: number): boolean {
    return this.trusted && this.fence.mayStore(index, since);
  }

  /** Whether `value`, acknowledged for `index` to a PUT begun at `began`, may be cached. */
  mayStoreWritten(index: number, value: bigint, began: number): boolean {
    return this.trusted && this.fence.mayStoreWritten(index, value, began);
  }

  /** Whether `invalidation` would drop anything: what `apply` decides, without doing it. */
  drops(invalidation: Invalidation): boolean {
    if (invalidation.op === 'CLR') return this.cache.size > 0;
    const { indices, values } = invalidation;
    return indices.some((index, position) => this.isStale(index, BigInt(values[position])));
  }

  /**
   * Applies an invalidation: drops each index it names unless the cache holds the very value it
   * now has (this proxy's own write, say), or everything for a CLR. `cause` is the event the
   * drops are decisions of.
   */
  apply(invalidation: Invalidation, cause?: EventRecord): void {
    if (invalidation.op === 'CLR') {
      this.dropAll(cause);
      return;
    }
    const values = invalidation.values.map(BigInt);
    this.fence.invalidated(invalidation.indices, values);
    invalidation.indices.forEach((index, position) => {
      if (this.isStale(index, values[position])) this.cache.remove(index, cause);
    });
  }

  /** Whether the cache holds `index` with another value than `value`, its value now. */
  private isStale(index: number, value: bigint): boolean {
    const cached = this.cache.peek(index);
    return cached !== undefined && cached !== value;
  }

  /** Invalidations may be missed from now on; returns the indices dropped. */
  subscriptionLost(): number[] {
    this.trusted = false;
    return this.dropAll();
  }

  /** Invalidations arrive again (what was missed meanwhile is unknown); returns the indices dropped. */
  subscriptionBack(): number[] {
    const dropped = this.dropAll();
    this.trusted = true;
    return dropped;
  }

  /** Drops everything, and what reads in flight fetch (see WriteFence.invalidatedAll). */
  dropAll(cause?: EventRecord): number[] {
    this.fence.invalidatedAll();
    const dropped = this.cache.entries().map((entry) => entry.index);
    this.cache.clear(cause);
    return dropped;
  }
}
