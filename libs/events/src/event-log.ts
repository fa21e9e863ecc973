import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { eventJson } from './event-json';
import {
  EventRecord,
  type EventView,
  MAX_EVENT_DECISIONS,
  MAX_EVENT_INDICES,
  NO_CONNECTION,
} from './event-record';
import { EVENT_OPS, type EventOp } from './kinds';

export interface EventLogOptions {
  readonly app: 'proxy' | 'server';
  /** Events kept (`--event-buffer`). */
  readonly capacity: number;
  /** Where a successful answer can come from; the first is a new record's. */
  readonly sources: readonly [string, ...string[]];
  /** The JSON name of a record's wait: `upstreamUs` (proxy) or `storeUs` (server). */
  readonly waitField: string;
}

/**
 * How long new events wait before subscribers hear of them: their writes then carry many events
 * each (under load, a write per event would cost the app more than making the events' JSON),
 * and a person watching cannot tell 10 ms.
 */
export const NOTIFY_DELAY_MS = 10;

/** Records kept for reuse by `recordOutside` and the like. */
const MAX_SPARES = 64;

/**
 * Each event has 64 bytes in a hot ring, consecutive events in consecutive cache lines, which
 * hold a small event whole (one index, one decision: a hit). Seen as float64s (8 a slot): */
const SEQ = 0;
const TIME = 1;
const AMOUNT = 2; // the first decision's
/** …and as int32s (16 a slot; 0–5 are the float64s above): */
const DURATION = 6;
const CONN = 7;
/** The OP's number, the outcome and the source's number, packed: op | outcome << 8 | source << 9. */
const PACKED = 8;
const WAIT = 9;
const INDEX_COUNT = 10;
const DECISION_COUNT = 11;
const INDEX = 12; // the first index
const KIND = 13; // the first decision's kind
const DECISION_INDEX = 14; // and index
const HOT_DOUBLES = 8;
const HOT_INTS = 16;
/**
 * The rest of a bigger event (indices from the second on, then decisions from the second on:
 * kind, index, amount each) in a colder ring of float64s.
 */
const REST_INDICES = MAX_EVENT_INDICES - 1;
const REST_LENGTH = REST_INDICES + 3 * (MAX_EVENT_DECISIONS - 1);
/** What the int32 fields hold at most: a duration or a wait beyond it (35 min) is clamped. */
const INT32_MAX = 0x7fffffff;

/**
 * The last `capacity` events of an app, in rings allocated once: 64 bytes an event in a hot
 * ring (enough for a small event whole), the rest of a bigger one in a colder ring, references
 * (values, error codes) in plain arrays. A request fills its own EventRecord while it is served
 * (the transport reuses one per request in flight, so it stays in the processor's cache); its
 * reply copies it into the next slot (`commit`). So recording costs no allocation, whether
 * anyone listens or not, and a hit writes one cache line, the one after the last event's (which
 * the processor fetches ahead): measured, a ring of wide slots that a hit touched three lines of,
 * far apart, cost the hit path up to 2 µs a request in cache misses. Readers (the SSE subscribers, `/events/recent`) read the ring by
 * seq and turn an event into JSON then, once.
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
  private readonly hot: Float64Array;
  private readonly hotInts: Int32Array;
  private readonly rest: Float64Array;
  private readonly details: (bigint | string | undefined)[];
  private readonly codes: (string | undefined)[];
  private readonly messages: (string | undefined)[];
  /** Each OP an event can have, by its number in `meta` (0: none); more are added as seen. */
  private readonly ops: (string | null)[] = [null, ...EVENT_OPS];
  /** `sources`, then `error`, by their number in `meta`. */
  private readonly sourceNames: string[];
  private readonly spares: EventRecord[] = [];
  /** The records lent to handlers (see `lend`), oldest first: a queue in a growable ring. */
  private lentRequests = new Array<object | undefined>(64).fill(undefined);
  private lentRecords = new Array<EventRecord | undefined>(64).fill(undefined);
  private lentHead = 0;
  private lentCount = 0;
  private readonly view: RingView;
  private next = 1;
  private readonly listeners = new Set<() => void>();
  private notifyTimer: NodeJS.Timeout | undefined;
  private notifyNow = false;
  /** The seq subscribers were last told of (the next one, as nextSeq then). */
  private notified = 1;

  constructor(options: EventLogOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`an event log needs a positive capacity, not ${options.capacity}`);
    }
    const capacity = (this.capacity = options.capacity);
    this.app = options.app;
    this.sources = options.sources;
    this.sourceNames = [...options.sources, 'error'];
    this.waitField = options.waitField;
    this.hot = new Float64Array(capacity * HOT_DOUBLES);
    this.hotInts = new Int32Array(this.hot.buffer);
    this.rest = new Float64Array(capacity * REST_LENGTH);
    this.details = new Array<bigint | string | undefined>(capacity * MAX_EVENT_DECISIONS).fill(
      undefined,
    );
    this.codes = new Array<string | undefined>(capacity).fill(undefined);
    this.messages = new Array<string | undefined>(capacity).fill(undefined);
    this.view = new RingView(
      this.hot,
      this.hotInts,
      this.rest,
      this.details,
      this.codes,
      this.messages,
      this.ops,
      this.sourceNames,
    );
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

  /** A record to fill: a spare one when there is (give it back with `release`). */
  take(): EventRecord {
    return this.spares.pop() ?? new EventRecord();
  }

  release(record: EventRecord): void {
    if (this.spares.length < MAX_SPARES) this.spares.push(record);
  }

  /**
   * Lends `record` to the handler of `request` (the transport does this as it hands a request
   * over); the handler takes it with `borrow(request)`. Nest calls handlers in the order they
   * were handed requests, so the one asked for is at the head of the queue and this costs a
   * comparison; the request's own object is the key all the same, so an order Nest did not keep
   * costs a search, never a wrong event. (A parameter `@Ctx()` would do it too, but Nest runs
   * an asynchronous pipeline for every decorated parameter, which costs more than the events'
   * whole budget.)
   */
  lend(request: object, record: EventRecord): void {
    let capacity = this.lentRequests.length;
    if (this.lentCount === capacity) {
      const requests = new Array<object | undefined>(capacity * 2).fill(undefined);
      const records = new Array<EventRecord | undefined>(capacity * 2).fill(undefined);
      for (let i = 0; i < capacity; i++) {
        requests[i] = this.lentRequests[(this.lentHead + i) % capacity];
        records[i] = this.lentRecords[(this.lentHead + i) % capacity];
      }
      this.lentRequests = requests;
      this.lentRecords = records;
      this.lentHead = 0;
      capacity *= 2;
    }
    const tail = (this.lentHead + this.lentCount++) % capacity;
    this.lentRequests[tail] = request;
    this.lentRecords[tail] = record;
    record.lent = true;
  }

  /** The record lent for `request`, once (undefined if none was, e.g. in a unit test). */
  borrow(request: object): EventRecord | undefined {
    const requests = this.lentRequests;
    const capacity = requests.length;
    for (let i = 0; i < this.lentCount; i++) {
      const at = (this.lentHead + i) % capacity;
      if (requests[at] !== request) continue;
      const record = this.lentRecords[at]!;
      this.forgetAt(at);
      record.lent = false;
      return record;
    }
    return undefined;
  }

  /** Takes back a record its handler did not borrow (Nest failed before calling it). */
  reclaim(record: EventRecord): void {
    if (!record.lent) return;
    record.lent = false;
    const capacity = this.lentRecords.length;
    for (let i = 0; i < this.lentCount; i++) {
      const at = (this.lentHead + i) % capacity;
      if (this.lentRecords[at] === record) return this.forgetAt(at);
    }
  }

  /** Empties a place of the queue; the head moves past empty places. */
  private forgetAt(at: number): void {
    this.lentRequests[at] = undefined;
    this.lentRecords[at] = undefined;
    const capacity = this.lentRequests.length;
    while (this.lentCount > 0 && this.lentRecords[this.lentHead] === undefined) {
      this.lentHead = (this.lentHead + 1) % capacity;
      this.lentCount--;
    }
  }

  /**
   * Records a copy of `record` as the next event (its `seq` is set); the record is the
   * caller's again at once. Subscribers hear of new events NOTIFY_DELAY_MS later, together,
   * never on the request's own path.
   */
  commit(record: EventRecord): void {
    const seq = (record.seq = this.next++);
    const slot = seq % this.capacity;
    const hot = this.hot;
    const ints = this.hotInts;
    const at = slot * HOT_DOUBLES;
    const intAt = slot * HOT_INTS;
    const indexCount = record.indexCount;
    const decisionCount = record.decisionCount;
    hot[at + SEQ] = seq;
    hot[at + TIME] = record.time;
    ints[intAt + DURATION] = record.durationUs < INT32_MAX ? record.durationUs : INT32_MAX;
    ints[intAt + CONN] = record.conn;
    ints[intAt + PACKED] =
      this.opNumber(record.op) |
      ((record.outcome === 'ok' ? 0 : 1) << 8) |
      (this.sourceNumber(record.source) << 9);
    ints[intAt + WAIT] = record.waitUs < INT32_MAX ? record.waitUs : INT32_MAX;
    ints[intAt + INDEX_COUNT] = indexCount;
    ints[intAt + DECISION_COUNT] = decisionCount;
    if (record.outcome === 'error') {
      this.codes[slot] = record.code;
      this.messages[slot] = record.message;
    }
    if (indexCount > 0) ints[intAt + INDEX] = record.indices[0];
    if (decisionCount > 0) {
      ints[intAt + KIND] = record.kinds[0];
      ints[intAt + DECISION_INDEX] = record.decisionIndices[0];
      hot[at + AMOUNT] = record.amounts[0];
    }
    const detailAt = slot * MAX_EVENT_DECISIONS;
    if (record.details[0] !== undefined) this.details[detailAt] = record.details[0];
    if (indexCount > 1 || decisionCount > 1) this.commitRest(record, slot);
    if (this.listeners.size > 0) this.scheduleNotify();
  }

  /** The indices and decisions of a bigger event beyond the first of each, to the colder ring. */
  private commitRest(record: EventRecord, slot: number): void {
    const rest = this.rest;
    const at = slot * REST_LENGTH;
    const indices = Math.min(record.indexCount, MAX_EVENT_INDICES);
    for (let i = 1; i < indices; i++) rest[at + i - 1] = record.indices[i];
    const decisions = Math.min(record.decisionCount, MAX_EVENT_DECISIONS);
    const detailAt = slot * MAX_EVENT_DECISIONS;
    for (let i = 1, to = at + REST_INDICES; i < decisions; i++, to += 3) {
      rest[to] = record.kinds[i];
      rest[to + 1] = record.decisionIndices[i];
      rest[to + 2] = record.amounts[i];
      const detail = record.details[i];
      // Hits and misses have none: the slot's old reference stays, and nothing reads it.
      if (detail !== undefined) this.details[detailAt + i] = detail;
    }
  }

  /**
   * Records decisions taken outside any client request (`op` CONFIG or INVALIDATE, no
   * connection): `decide` fills the record, which is then committed like a request's; returns
   * what `decide` returns.
   */
  recordOutside<T>(op: EventOp, decide: (record: EventRecord) => T): T {
    const record = this.take();
    record.begin(NO_CONNECTION, performance.now(), this.defaultSource);
    record.request(op, []);
    const result = decide(record);
    record.finish(performance.now());
    this.commit(record);
    this.release(record);
    return result;
  }

  /** Whether the ring still holds the event with this seq. */
  holds(seq: number): boolean {
    return seq >= this.oldestSeq && seq < this.next;
  }

  /**
   * The event with this seq (held: see `holds`), as a view of the ring that is valid until the
   * next call of `at`: read what is needed, keep nothing.
   */
  at(seq: number): EventView {
    this.view.slot = seq % this.capacity;
    return this.view;
  }

  /**
   * The held event with this seq as JSON, made anew for each reader: kept, the text would live
   * as long as its slot and be promoted to the old generation, which costs the collector more
   * than writing it again costs a second reader.
   */
  json(seq: number): string {
    return eventJson(this.at(seq), this.app, this.waitField);
  }

  /**
   * Calls `listener` NOTIFY_DELAY_MS after an event is committed (sooner when many are), once
   * for all committed meanwhile; returns the unsubscribe.
   */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private opNumber(op: string | null): number {
    const ops = this.ops;
    for (let i = 0; i < ops.length; i++) if (ops[i] === op) return i;
    ops.push(op);
    return ops.length - 1;
  }

  private sourceNumber(source: string): number {
    const names = this.sourceNames;
    for (let i = 0; i < names.length; i++) if (names[i] === source) return i;
    names.push(source);
    return names.length - 1;
  }

  /**
   * Tells subscribers NOTIFY_DELAY_MS after the first event they have not heard of, or at once
   * (the next turn) when those events fill a quarter of the ring: a reader that keeps up never
   * has the ring move past it for waiting.
   */
  private scheduleNotify(): void {
    if (this.notifyTimer === undefined) {
      this.notifyTimer = setTimeout(() => this.notify(), NOTIFY_DELAY_MS);
    }
    if (!this.notifyNow && this.next - this.notified >= this.capacity / 4) {
      this.notifyNow = true;
      setImmediate(() => this.notify());
    }
  }

  private notify(): void {
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    this.notifyNow = false;
    this.notified = this.next;
    for (const listener of this.listeners) listener();
  }
}

/** An event of the ring, read in place (see EventLog.at). */
class RingView implements EventView {
  slot = 0;

  constructor(
    private readonly hot: Float64Array,
    private readonly ints: Int32Array,
    private readonly rest: Float64Array,
    private readonly details: readonly (bigint | string | undefined)[],
    private readonly codes: readonly (string | undefined)[],
    private readonly messages: readonly (string | undefined)[],
    private readonly ops: readonly (string | null)[],
    private readonly sourceNames: readonly string[],
  ) {}

  private int(field: number): number {
    return this.ints[this.slot * HOT_INTS + field];
  }

  /** The `position`th number of the rest (indices from the second, then decisions' triples). */
  private restAt(position: number): number {
    return this.rest[this.slot * REST_LENGTH + position];
  }

  get seq(): number {
    return this.hot[this.slot * HOT_DOUBLES + SEQ];
  }
  get time(): number {
    return this.hot[this.slot * HOT_DOUBLES + TIME];
  }
  get durationUs(): number {
    return this.int(DURATION);
  }
  get conn(): number {
    return this.int(CONN);
  }
  get op(): string | null {
    return this.ops[this.int(PACKED) & 0xff];
  }
  get indexCount(): number {
    return this.int(INDEX_COUNT);
  }
  get outcome(): 'ok' | 'error' {
    return (this.int(PACKED) >> 8) & 1 ? 'error' : 'ok';
  }
  get code(): string | undefined {
    return this.outcome === 'error' ? this.codes[this.slot] : undefined;
  }
  get message(): string | undefined {
    return this.outcome === 'error' ? this.messages[this.slot] : undefined;
  }
  get source(): string {
    return this.sourceNames[this.int(PACKED) >> 9];
  }
  get waitUs(): number {
    return this.int(WAIT);
  }
  get decisionCount(): number {
    return this.int(DECISION_COUNT);
  }
  index(position: number): number {
    return position === 0 ? this.int(INDEX) : this.restAt(position - 1);
  }
  kind(position: number): number {
    return position === 0 ? this.int(KIND) : this.restAt(REST_INDICES + 3 * (position - 1));
  }
  decisionIndex(position: number): number {
    return position === 0
      ? this.int(DECISION_INDEX)
      : this.restAt(REST_INDICES + 3 * (position - 1) + 1);
  }
  amount(position: number): number {
    return position === 0
      ? this.hot[this.slot * HOT_DOUBLES + AMOUNT]
      : this.restAt(REST_INDICES + 3 * (position - 1) + 2);
  }
  detail(position: number): bigint | string | undefined {
    return this.details[this.slot * MAX_EVENT_DECISIONS + position];
  }
}
