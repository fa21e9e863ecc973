import { performance } from 'node:perf_hooks';
import { KIND } from './kinds';

/** Indices an event lists; a request naming more is listed with its first ones (see `omitted`). */
export const MAX_EVENT_INDICES = 64;
/** Decisions an event lists; the rest are counted, not kept. */
export const MAX_EVENT_DECISIONS = 128;
/** The `conn` of a decision taken outside any client connection (`null` in JSON). */
export const NO_CONNECTION = -1;
/** An amount not known (yet): a miss whose fetch has not come back. */
export const UNKNOWN = -1;

/**
 * One event while it is being made and once recorded: what a request asked for, how it was
 * answered, and every decision taken for it, in order. It holds numbers and references only (the
 * request's OP, an error's code, a value's bigint), so filling it costs no allocation; it is
 * turned into JSON only when someone reads it. Records are reused: one is valid from `begin`
 * until the log hands it out again.
 */
export class EventRecord {
  /** Its place in the log (1, 2, …), given when it is recorded. */
  seq = 0;
  /** `performance.now()` when the request was taken. */
  startedAt = 0;
  /** When it was answered, in ms since the epoch. */
  time = 0;
  durationUs = 0;
  conn = NO_CONNECTION;
  /** The request's OP; null for a message whose OP cannot be read. */
  op: string | null = null;
  /** How many indices the request named; the first MAX_EVENT_INDICES are in `indices`. */
  indexCount = 0;
  readonly indices: number[] = [];
  outcome: 'ok' | 'error' = 'ok';
  code: string | undefined = undefined;
  message: string | undefined = undefined;
  /** Where the answer came from: one of the log's sources, or `error`. */
  source = '';
  /** µs the request waited for its dependency (the proxy's server, the server's store), or UNKNOWN. */
  waitUs = UNKNOWN;
  /** Decisions taken; the first MAX_EVENT_DECISIONS are kept in the four arrays below. */
  decisionCount = 0;
  readonly kinds: number[] = [];
  readonly decisionIndices: number[] = [];
  /** Per decision: a miss's upstream µs, an eviction's entry age in ms, a clear's entry count. */
  readonly amounts: number[] = [];
  /** Per decision: a value (stored, skipped, written, read) or an eviction's reason. */
  readonly details: (bigint | string | undefined)[] = [];
  /** The JSON text, made the first time the event is read. */
  json: string | undefined = undefined;

  /** Starts the record over for a new request on connection `conn` (NO_CONNECTION: none). */
  begin(conn: number, startedAt: number, source: string): void {
    this.seq = 0;
    this.startedAt = startedAt;
    this.time = 0;
    this.durationUs = 0;
    this.conn = conn;
    this.op = null;
    this.indexCount = 0;
    this.outcome = 'ok';
    this.code = undefined;
    this.message = undefined;
    this.source = source;
    this.waitUs = UNKNOWN;
    this.decisionCount = 0;
    this.json = undefined;
  }

  /** What was asked: the OP (null if unreadable) and the indices, in request order. */
  request(op: string | null, indices: readonly number[]): void {
    this.op = op;
    this.indexCount = indices.length;
    const kept = Math.min(indices.length, MAX_EVENT_INDICES);
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
    for (let i = 0; i < kept; i++) if (this.kinds[i] === KIND.miss) this.amounts[i] = us;
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
    this.time = performance.timeOrigin + endedAt;
  }

  /** When the request was taken, in ms since the epoch. */
  get startTime(): number {
    return performance.timeOrigin + this.startedAt;
  }
}
