/**
 * Holds back repeats of one kind of log line: the first occurrence is reported at once, later
 * ones at most once per interval, each report carrying how many occurred since the last one.
 */
export class Throttle {
  private lastReport = -Infinity;
  private held = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one occurrence; returns how many to report now (this one and those held back since
   * the last report), or 0 while the interval since the last report runs.
   */
  count(): number {
    this.held++;
    const now = this.now();
    if (now - this.lastReport < this.intervalMs) return 0;
    this.lastReport = now;
    const count = this.held;
    this.held = 0;
    return count;
  }

  /** Occurrences held back since the last report. */
  get heldBack(): number {
    return this.held;
  }

  /** A report was made otherwise (say at a change of state): the interval starts again now. */
  restart(): void {
    this.lastReport = this.now();
    this.held = 0;
  }
}
