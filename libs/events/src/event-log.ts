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

/** Records kept for reuse by `recordOutside` and the like. */
const MAX_SPARES = 64;

/**
 * One event's numbers in the ring, one stretch of doubles per slot: its fields, then its
 * indices, then its decisions (kind, index, amount each). A small event is written to the first
 * few cache lines of its stretch.
 */
const SEQ = 0;
const TIME = 1;
const DURATION = 2;
const CONN = 3;
const OP = 4;
const OUTCOME = 5;
const SOURCE = 6;
const WAIT = 7;
const INDEX_COUNT = 8;
const DECISION_COUNT = 9;
const INDICES = 10;
const DECISIONS = INDICES + MAX_EVENT_INDICES;
const SLOT_LENGTH = DECISIONS + 3 * MAX_EVENT_DECISIONS;

/**
 * The last `capacity` events of an app, in a ring allocated once: the numbers of every event in
 * one typed array (a stretch per event), references (values, error codes, the JSON once made)
 * in plain arrays. A request fills its own EventRecord while it is served (the transport reuses
 * one per request in flight, so it stays in the processor's cache); its reply copies it into
 * the next slot (`commit`). So recording costs no allocation, whether anyone listens or not,
 * and writing an event touches a few adjacent cache lines of the ring rather than a cold object
 * graph (measured: on a hit path that switches processes at every request, each cold line
 * counts). Readers (the SSE subscribers, `/events/recent`) read the ring by
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
  private readonly slots: Float64Array;
  private readonly details: (bigint | string | undefined)[];
  private readonly codes: (string | undefined)[];
  private readonly messages: (string | undefined)[];
  private readonly texts: (string | undefined)[];
  /** The seq whose JSON `texts` holds at each slot (checked on reading: commit writes none). */
  private readonly textSeqs: Float64Array;
  /** Each OP an event can have, by its number in `meta` (0: none); more are added as seen. */
  private readonly ops: (string | null)[] = [null, ...EVENT_OPS];
  /** `sources`, then `error`, by their number in `meta`. */
  private readonly sourceNames: string[];
  private readonly spares: EventRecord[] = [];
  /** The records lent to handlers (see `lend`), oldest first: a queue in a growable ring. */
  private lentRequests: (object | undefined)[] = new Array(64).fill(undefined);
  private lentRecords: (EventRecord | undefined)[] = new Array(64).fill(undefined);
  private lentHead = 0;
  private lentCount = 0;
  private readonly view: RingView;
  private next = 1;
  private readonly listeners = new Set<() => void>();
  private notifyQueued = false;

  constructor(options: EventLogOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`an event log needs a positive capacity, not ${options.capacity}`);
    }
    const capacity = (this.capacity = options.capacity);
    this.app = options.app;
    this.sources = options.sources;
    this.sourceNames = [...options.sources, 'error'];
    this.waitField = options.waitField;
    this.slots = new Float64Array(capacity * SLOT_LENGTH);
    this.details = new Array(capacity * MAX_EVENT_DECISIONS).fill(undefined);
    this.codes = new Array(capacity).fill(undefined);
    this.messages = new Array(capacity).fill(undefined);
    this.texts = new Array(capacity).fill(undefined);
    this.textSeqs = new Float64Array(capacity);
    this.view = new RingView(
      this.slots,
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
      const requests: (object | undefined)[] = new Array(capacity * 2).fill(undefined);
      const records: (EventRecord | undefined)[] = new Array(capacity * 2).fill(undefined);
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
   * caller's again at once. Subscribers hear of new events once per turn of the event loop,
   * never on the request's own path.
   */
  commit(record: EventRecord): void {
    const seq = (record.seq = this.next++);
    const slot = seq % this.capacity;
    const slots = this.slots;
    const at = slot * SLOT_LENGTH;
    const indexCount = record.indexCount;
    const decisionCount = record.decisionCount;
    slots[at + SEQ] = seq;
    slots[at + TIME] = record.time;
    slots[at + DURATION] = record.durationUs;
    slots[at + CONN] = record.conn;
    slots[at + OP] = this.opNumber(record.op);
    slots[at + OUTCOME] = record.outcome === 'ok' ? 0 : 1;
    slots[at + SOURCE] = this.sourceNumber(record.source);
    slots[at + WAIT] = record.waitUs;
    slots[at + INDEX_COUNT] = indexCount;
    slots[at + DECISION_COUNT] = decisionCount;
    if (record.outcome === 'error') {
      this.codes[slot] = record.code;
      this.messages[slot] = record.message;
    }
    const indices = indexCount < MAX_EVENT_INDICES ? indexCount : MAX_EVENT_INDICES;
    for (let i = 0; i < indices; i++) slots[at + INDICES + i] = record.indices[i];
    const decisions = decisionCount < MAX_EVENT_DECISIONS ? decisionCount : MAX_EVENT_DECISIONS;
    const detailAt = slot * MAX_EVENT_DECISIONS;
    for (let i = 0, to = at + DECISIONS; i < decisions; i++, to += 3) {
      slots[to] = record.kinds[i];
      slots[to + 1] = record.decisionIndices[i];
      slots[to + 2] = record.amounts[i];
      const detail = record.details[i];
      // Hits and misses have none: the slot's old reference stays, and nothing reads it.
      if (detail !== undefined) this.details[detailAt + i] = detail;
    }
    if (this.listeners.size > 0 && !this.notifyQueued) {
      this.notifyQueued = true;
      setImmediate(() => this.notify());
    }
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
    this.commit(record);
    this.release(record);
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

  /** The held event with this seq as JSON (made once, then kept until the slot is reused). */
  json(seq: number): string {
    const slot = seq % this.capacity;
    let text = this.texts[slot];
    if (text === undefined || this.textSeqs[slot] !== seq) {
      text = this.texts[slot] = eventJson(this.at(seq), this.app, this.waitField);
      this.textSeqs[slot] = seq;
    }
    return text;
  }

  /** Calls `listener` after new events were committed (once per turn); returns the unsubscribe. */
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

  private notify(): void {
    this.notifyQueued = false;
    for (const listener of this.listeners) listener();
  }
}

/** An event of the ring, read in place (see EventLog.at). */
class RingView implements EventView {
  slot = 0;

  constructor(
    private readonly slots: Float64Array,
    private readonly details: readonly (bigint | string | undefined)[],
    private readonly codes: readonly (string | undefined)[],
    private readonly messages: readonly (string | undefined)[],
    private readonly ops: readonly (string | null)[],
    private readonly sourceNames: readonly string[],
  ) {}

  private number(field: number): number {
    return this.slots[this.slot * SLOT_LENGTH + field];
  }

  get seq(): number {
    return this.number(SEQ);
  }
  get time(): number {
    return this.number(TIME);
  }
  get durationUs(): number {
    return this.number(DURATION);
  }
  get conn(): number {
    return this.number(CONN);
  }
  get op(): string | null {
    return this.ops[this.number(OP)];
  }
  get indexCount(): number {
    return this.number(INDEX_COUNT);
  }
  get outcome(): 'ok' | 'error' {
    return this.number(OUTCOME) === 0 ? 'ok' : 'error';
  }
  get code(): string | undefined {
    return this.outcome === 'error' ? this.codes[this.slot] : undefined;
  }
  get message(): string | undefined {
    return this.outcome === 'error' ? this.messages[this.slot] : undefined;
  }
  get source(): string {
    return this.sourceNames[this.number(SOURCE)];
  }
  get waitUs(): number {
    return this.number(WAIT);
  }
  get decisionCount(): number {
    return this.number(DECISION_COUNT);
  }
  index(position: number): number {
    return this.number(INDICES + position);
  }
  kind(position: number): number {
    return this.number(DECISIONS + 3 * position);
  }
  decisionIndex(position: number): number {
    return this.number(DECISIONS + 3 * position + 1);
  }
  amount(position: number): number {
    return this.number(DECISIONS + 3 * position + 2);
  }
  detail(position: number): bigint | string | undefined {
    return this.details[this.slot * MAX_EVENT_DECISIONS + position];
  }
}
