import { performance } from 'node:perf_hooks';
import { KIND } from './kinds';

/** Indices an event lists; a request naming more is listed with its first ones (see `omitted`). */
export const MAX_EVENT_INDICES = 32;
/** Decisions an event lists; the rest are counted, not kept. */
export const MAX_EVENT_DECISIONS = 64;
/** The `conn` of a decision taken outside any client connection (`null` in JSON). */
export const NO_CONNECTION = -1;
/** An amount not known (yet): a miss whose fetch has not come back, a wait that did not happen. */
export const UNKNOWN = -1;

/** `performance.timeOrigin`, read once: it is a call into the runtime each time it is read. */
export const TIME_ORIGIN = performance.timeOrigin;

const MISS = KIND.miss;

/** What an event says, whether it is being made (EventRecord) or already in the log. */
export interface EventView {
  readonly seq: number;
  /** When it was answered, in ms since the epoch. */
  readonly time: number;
  readonly durationUs: number;
  readonly conn: number;
  readonly op: string | null;
  /** How many indices the request named; the first MAX_EVENT_INDICES are listed. */
  readonly indexCount: number;
  readonly outcome: 'ok' | 'error';
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly source: string;
  readonly waitUs: number;
  /** How many decisions were taken; the first MAX_EVENT_DECISIONS are listed. */
  readonly decisionCount: number;
  index(position: number): number;
  kind(position: number): number;
  decisionIndex(position: number): number;
  amount(position: number): number;
  detail(position: number): bigint | string | undefined;
}

/**
 * One event while it is being made: what a request asked for, how it was answered, and every
 * decision taken for it, in order. It holds numbers and references only (the request's OP, an
 * error's code, a value's bigint) in arrays allocated with it, so filling it costs no
 * allocation. The transport keeps one per request in flight and reuses it for a later request
 * once the log has copied it (EventLog.commit).
 */
export class EventRecord implements EventView {
  seq = 0;
  /** `performance.now()` when the request was taken. */
  startedAt = 0;
  time = 0;
  durationUs = 0;
  conn = NO_CONNECTION;
  /** The request's OP; null for a message whose OP cannot be read. */
  op: string | null = null;
  indexCount = 0;
  readonly indices = new Int32Array(MAX_EVENT_INDICES);
  outcome: 'ok' | 'error' = 'ok';
  code: string | undefined = undefined;
  message: string | undefined = undefined;
  /** Where the answer came from: one of the log's sources, or `error`. */
  source = '';
  /** µs the request waited for its dependency (the proxy's server, the server's store), or UNKNOWN. */
  waitUs = UNKNOWN;
  decisionCount = 0;
  /** Lent to a handler that has not borrowed it yet (see EventLog.lend). */
  lent = false;
  readonly kinds = new Int32Array(MAX_EVENT_DECISIONS);
  readonly decisionIndices = new Int32Array(MAX_EVENT_DECISIONS);
  /** Per decision: a miss's upstream µs, an eviction's entry age in ms, a clear's entry count. */
  readonly amounts = new Float64Array(MAX_EVENT_DECISIONS);
  /** Per decision: a value (stored, skipped, written, read) or an eviction's reason. */
  readonly details = new Array<bigint | string | undefined>(MAX_EVENT_DECISIONS).fill(undefined);

  /** Starts the record over for a new request on connection `conn` (NO_CONNECTION: none). */
  begin(conn: number, startedAt: number, source: string): void {
    this.seq = 0;
    this.startedAt = startedAt;
    this.conn = conn;
    this.op = null;
    this.indexCount = 0;
    this.outcome = 'ok';
    this.source = source;
    this.waitUs = UNKNOWN;
    this.decisionCount = 0;
  }

  /** What was asked: the OP (null if unreadable) and the indices, in request order. */
  request(op: string | null, indices: readonly number[]): void {
    this.op = op;
    this.indexCount = indices.length;
    const kept = indices.length < MAX_EVENT_INDICES ? indices.length : MAX_EVENT_INDICES;
    for (let i = 0; i < kept; i++) this.indices[i] = indices[i];
  }

  /** One decision, in the order it took effect. */
  decide(kind: number, index: number, amount = UNKNOWN, detail?: bigint | string): void {
    const position = this.decisionCount++;
    if (position >= MAX_EVENT_DECISIONS) return;
    this.kinds[position] = kind;
    this.decisionIndices[position] = index;
    this.amounts[position] = amount;
    this.details[position] = detail;
  }

  /** The dependency answered (or failed) after `us`: the wait, and each miss's round trip. */
  waited(us: number): void {
    this.waitUs = us;
    const kept = Math.min(this.decisionCount, MAX_EVENT_DECISIONS);
    for (let i = 0; i < kept; i++) if (this.kinds[i] === MISS) this.amounts[i] = us;
  }

  fail(code: string, message: string): void {
    this.outcome = 'error';
    this.code = code;
    this.message = message;
    this.source = 'error';
  }

  /** The reply is ready, at `endedAt` (a `performance.now()` reading). */
  finish(endedAt: number): void {
    this.durationUs = Math.round((endedAt - this.startedAt) * 1000);
    this.time = TIME_ORIGIN + endedAt;
  }

  /** When the request was taken, in ms since the epoch. */
  get startTime(): number {
    return TIME_ORIGIN + this.startedAt;
  }

  index(position: number): number {
    return this.indices[position];
  }

  kind(position: number): number {
    return this.kinds[position];
  }

  decisionIndex(position: number): number {
    return this.decisionIndices[position];
  }

  amount(position: number): number {
    return this.amounts[position];
  }

  detail(position: number): bigint | string | undefined {
    return this.details[position];
  }
}
