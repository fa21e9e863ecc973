import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { eventJson } from './event-json';
import { EventRecord, NO_CONNECTION } from './event-record';
import type { EventOp } from './kinds';

export interface EventLogOptions {
  readonly app: 'proxy' | 'server';
  /** Events kept (`--event-buffer`). */
  readonly capacity: number;
  /** Where a successful answer can come from; the first is a new record's. */
  readonly sources: readonly [string, ...string[]];
  /** The JSON name of a record's wait: `upstreamUs` (proxy) or `storeUs` (server). */
  readonly waitField: string;
}

/** Spare records kept for reuse beyond the ring: enough for the requests in flight at full load. */
const MAX_SPARES = 1024;

/**
 * The last `capacity` events of an app, in a ring of records allocated once and reused. A
 * request takes a spare record, fills it in place while it is served and commits it as the next
 * event; the record it displaces from the ring becomes a spare. So recording costs no allocation
 * once the ring has turned, whether anyone listens or not. Readers (the SSE subscribers,
 * `/events/recent`) read the ring by `seq` and turn records into JSON then, once per event.
 */
export class EventLog {
  readonly app: EventLogOptions['app'];
  readonly capacity: number;
  readonly sources: readonly string[];
  readonly waitField: string;
  /**
   * Names this run of the app: seqs start at 1 again after a restart, so a subscriber resuming
   * after `Last-Event-ID` says which run it saw it in (`Last-Event-Run`).
   */
  readonly run = randomBytes(6).toString('hex');
  private readonly ring: EventRecord[];
  private readonly spares: EventRecord[] = [];
  private next = 1;
  private readonly listeners = new Set<() => void>();
  private notifyQueued = false;

  constructor(options: EventLogOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`an event log needs a positive capacity, not ${options.capacity}`);
    }
    this.app = options.app;
    this.capacity = options.capacity;
    this.sources = options.sources;
    this.waitField = options.waitField;
    this.ring = Array.from({ length: options.capacity }, () => new EventRecord());
  }

  /** The source of an answer that nothing redirected (the proxy's cache, the server's table). */
  get defaultSource(): string {
    return this.sources[0];
  }

  /** The seq the next event will get. */
  get nextSeq(): number {
    return this.next;
  }

  /** The seq of the oldest event still held (equal to nextSeq while none is). */
  get oldestSeq(): number {
    return Math.max(1, this.next - this.capacity);
  }

  /** A record to fill, a spare one when there is. Commit it, or give it back with `release`. */
  take(): EventRecord {
    return this.spares.pop() ?? new EventRecord();
  }

  release(record: EventRecord): void {
    if (this.spares.length < MAX_SPARES) this.spares.push(record);
  }

  /**
   * Records `record` as the next event and returns the record it displaced from the ring, which
   * the caller may reuse (or `release`). Subscribers hear of new events once per turn of the
   * event loop, never on the request's own path.
   */
  commit(record: EventRecord): EventRecord {
    const slot = this.next % this.capacity;
    const displaced = this.ring[slot];
    record.seq = this.next++;
    record.json = undefined;
    this.ring[slot] = record;
    if (this.listeners.size > 0 && !this.notifyQueued) {
      this.notifyQueued = true;
      setImmediate(() => this.notify());
    }
    return displaced;
  }

  /**
   * Records decisions taken outside any client request (`op` CONFIG or INVALIDATE, no
   * connection): `decide` fills the record, which is then committed like a request's.
   */
  recordOutside(op: EventOp, decide: (record: EventRecord) => void): void {
    const record = this.take();
    record.begin(NO_CONNECTION, performance.now(), this.defaultSource);
    record.request(op, []);
    decide(record);
    record.finish(performance.now());
    this.release(this.commit(record));
  }

  /** The event with this seq, if the ring still holds it. */
  at(seq: number): EventRecord | undefined {
    if (seq < this.oldestSeq || seq >= this.next) return undefined;
    return this.ring[seq % this.capacity];
  }

  /** The event as JSON (made once, then kept with the record until it is reused). */
  json(record: EventRecord): string {
    return (record.json ??= eventJson(record, this.app, this.waitField));
  }

  /** Calls `listener` after new events were committed (once per turn); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    this.notifyQueued = false;
    for (const listener of this.listeners) listener();
  }
}
