/** What the fence remembers of one index while reads wait for it. */
interface Watch {
  /** Reads waiting for this index from the server. */
  readers: number;
  /** When a write on this index last began (0: not while watched). */
  lastBegan: number;
  /** When a write on this index last began or ended (0: not while watched). */
  lastMoved: number;
}

/**
 * Keeps the cache consistent with the writes (PUT and CLR) going through the proxy: which
 * indices may be served from the cache, and which values fetched from the server may be
 * stored. Pure bookkeeping on a logical clock (no I/O, no time of day), so it is tested directly.
 *
 * Every write ticks the clock when it begins and when it ends. A read that has to ask the server
 * starts at the clock's time; while it waits, the fence remembers for its indices when a write
 * last began or ended, and forgets them once no read waits for them any more.
 */
export class WriteFence {
  private clock = 0;
  private readonly watched = new Map<number, Watch>();
  private readonly writesInFlight = new Map<number, number>();
  private clearsInFlight = 0;
  private lastClearBegan = 0;
  private lastClearMoved = 0;
  /** Of an index with a PUT in flight: the last invalidation applied to it, and its value. */
  private readonly invalidatedWhileWriting = new Map<number, { at: number; value: bigint }>();
  /** When everything was last invalidated (a CLR elsewhere, or invalidations missed). */
  private lastAllInvalidated = 0;

  /**
   * True while a write on `index` (or a CLR) is in flight: its cached value may be outdated any
   * moment, so a read asks the server, whose reply then comes after the write's.
   */
  writing(index: number): boolean {
    return this.clearsInFlight > 0 || this.writesInFlight.has(index);
  }

  /** A read starts waiting for `indices` from the server; returns its start time. */
  readStarted(indices: readonly number[]): number {
    for (const index of indices) {
      const watch = this.watched.get(index);
      if (watch === undefined) this.watched.set(index, { readers: 1, lastBegan: 0, lastMoved: 0 });
      else watch.readers++;
    }
    return this.clock;
  }

  /** The read that `readStarted(indices)` began is answered or failed. */
  readEnded(indices: readonly number[]): void {
    for (const index of indices) {
      const watch = this.watched.get(index)!;
      if (--watch.readers === 0) this.watched.delete(index);
    }
  }

  /**
   * Whether a value of `index` that the server sent to a read started at `since` may be cached:
   * only if no write on it is in flight and none began or ended since (a slower reply could
   * otherwise put an outdated value back). Asked before that read ends: of an index no read
   * waits for, the fence knows no history, so its value is not stored.
   */
  mayStore(index: number, since: number): boolean {
    if (this.writing(index) || this.lastClearMoved > since) return false;
    const watch = this.watched.get(index);
    return watch !== undefined && watch.lastMoved <= since;
  }

  /**
   * Whether a write on one of `indices` (or a CLR) began after a read of them started at `since`
   * (asked before that read ends). Writes go upstream when they begin, so such a write is on its
   * way to the server behind the read: asking the server again would read the write.
   */
  writeBeganSince(indices: readonly number[], since: number): boolean {
    if (this.lastClearBegan > since) return true;
    for (const index of indices) {
      const watch = this.watched.get(index);
      if (watch === undefined || watch.lastBegan > since) return true;
    }
    return false;
  }

  /** A PUT of `indices` goes to the server now; returns its start time. */
  writeStarted(indices: readonly number[]): number {
    const now = ++this.clock;
    for (const index of indices) {
      const watch = this.watched.get(index);
      if (watch !== undefined) watch.lastBegan = watch.lastMoved = now;
      this.writesInFlight.set(index, (this.writesInFlight.get(index) ?? 0) + 1);
    }
    return now;
  }

  /** That PUT is acknowledged, refused or given up on. */
  writeEnded(indices: readonly number[]): void {
    const now = ++this.clock;
    for (const index of indices) {
      const watch = this.watched.get(index);
      if (watch !== undefined) watch.lastMoved = now;
      const left = this.writesInFlight.get(index)! - 1;
      if (left > 0) this.writesInFlight.set(index, left);
      else {
        this.writesInFlight.delete(index);
        this.invalidatedWhileWriting.delete(index);
      }
    }
  }

  /**
   * An invalidation is applied now: a write made elsewhere (through another proxy) set each of
   * `indices` to the value at the same position. For the reads waiting for them, like a write
   * that ended now: what they fetched may predate it, so it is not stored.
   */
  invalidated(indices: readonly number[], values: readonly bigint[]): void {
    const now = ++this.clock;
    indices.forEach((index, position) => {
      const watch = this.watched.get(index);
      if (watch !== undefined) watch.lastMoved = now;
      if (this.writesInFlight.has(index)) {
        this.invalidatedWhileWriting.set(index, { at: now, value: values[position] });
      }
    });
  }

  /** Everything is invalidated now (a CLR elsewhere, or invalidations that may have been missed). */
  invalidatedAll(): void {
    this.lastAllInvalidated = this.lastClearMoved = ++this.clock;
  }

  /**
   * Whether `value`, written to `index` by a PUT that began at `began` and is now acknowledged,
   * may be cached: not if an invalidation applied since says the index holds another value (the
   * server applied a later write, from elsewhere, before answering this one), nor after
   * everything was invalidated.
   */
  mayStoreWritten(index: number, value: bigint, began: number): boolean {
    if (this.lastAllInvalidated > began) return false;
    const last = this.invalidatedWhileWriting.get(index);
    return last === undefined || last.at < began || last.value === value;
  }

  clearStarted(): void {
    this.clearsInFlight++;
    this.lastClearBegan = this.lastClearMoved = ++this.clock;
  }

  clearEnded(): void {
    this.clearsInFlight--;
    this.lastClearMoved = ++this.clock;
  }
}
