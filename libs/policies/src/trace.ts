/**
 * A recorded workload as the cache saw it, one entry per index used: a lookup (by GET or ADD),
 * a write (an acknowledged PUT, stored write-allocate) or a clear (an acknowledged CLR).
 */
export type TraceEntry =
  | { readonly kind: 'lookup'; readonly key: number }
  | { readonly kind: 'write'; readonly key: number }
  | { readonly kind: 'clear' };
export type Trace = readonly TraceEntry[];

/** The kinds of a packed trace's entries. */
export const LOOKUP_ENTRY = 0;
export const WRITE_ENTRY = 1;
export const CLEAR_ENTRY = 2;

/**
 * A trace as two typed arrays of one length, 5 bytes an entry and no object per entry: each
 * entry's kind (LOOKUP_ENTRY, WRITE_ENTRY or CLEAR_ENTRY) and key (0 for a clear).
 */
export interface PackedTrace {
  readonly kinds: Uint8Array;
  readonly keys: Int32Array;
}

export function packTrace(trace: Trace): PackedTrace {
  const kinds = new Uint8Array(trace.length);
  const keys = new Int32Array(trace.length);
  trace.forEach((entry, i) => {
    if (entry.kind === 'clear') {
      kinds[i] = CLEAR_ENTRY;
    } else {
      kinds[i] = entry.kind === 'lookup' ? LOOKUP_ENTRY : WRITE_ENTRY;
      keys[i] = entry.key;
    }
  });
  return { kinds, keys };
}

/** The largest table index. */
export const MAX_KEY = 2 ** 31 - 1;

/** A trace file that cannot be read, with the line where it went wrong. */
export class TraceError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'TraceError';
  }
}

/**
 * Reads a trace in either form: NDJSON of the proxy's decision events (the text starts with
 * `{`), or a plain list of indices separated by white space or commas, each a lookup.
 */
export function parseTrace(text: string): TraceEntry[] {
  return text.trimStart().startsWith('{') ? parseEvents(text) : parseIndexList(text);
}

/** Events of decisions taken outside any client request: they change the cache, not the traffic. */
const OUTSIDE_REQUESTS = new Set(['CONFIG', 'INVALIDATE']);

/**
 * One JSON object per line, as `semicache trace record` writes them. Only `op`, `indices`,
 * `outcome` and `omitted` are read: GET and ADD look up their indices in order, PUT writes them,
 * CLR clears; a request whose outcome is not `ok` left nothing in the cache to replay and is
 * skipped, and so is an object without `op` (such as a notice that events were dropped), an
 * unreadable message (`op` null) and a change outside any request (`CONFIG`, `INVALIDATE`). An
 * event that lists only part of its indices (a request of more than 32) cannot be replayed.
 */
function parseEvents(text: string): TraceEntry[] {
  const trace: TraceEntry[] = [];
  const lines = text.split('\n');
  for (let number = 1; number <= lines.length; number++) {
    const line = lines[number - 1].trim();
    if (line === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new TraceError(number, `not JSON: ${excerpt(line)}`);
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new TraceError(number, `not a JSON object: ${excerpt(line)}`);
    }
    const { op, indices, outcome, omitted } = event as Record<string, unknown>;
    if (op === undefined || op === null || (outcome !== undefined && outcome !== 'ok')) continue;
    if (typeof op === 'string' && OUTSIDE_REQUESTS.has(op)) continue;
    const left = (omitted as { indices?: unknown } | undefined)?.indices;
    if (typeof left === 'number' && left > 0 && Array.isArray(indices)) {
      const all = indices.length + left;
      throw new TraceError(
        number,
        `the event lists only the first ${indices.length} of its ${all} indices`,
      );
    }
    switch (op) {
      case 'GET':
      case 'ADD':
      case 'PUT': {
        const kind = op === 'PUT' ? 'write' : 'lookup';
        for (const key of eventIndices(indices, number)) trace.push({ kind, key });
        break;
      }
      case 'CLR':
        trace.push({ kind: 'clear' });
        break;
      default:
        throw new TraceError(number, `op ${JSON.stringify(op)} is not GET, ADD, PUT or CLR`);
    }
  }
  return trace;
}

function eventIndices(indices: unknown, line: number): number[] {
  if (!Array.isArray(indices)) throw new TraceError(line, '"indices" is not a list');
  for (const index of indices) {
    if (!isKey(index)) throw new TraceError(line, `${JSON.stringify(index)} is not an index`);
  }
  return indices as number[];
}

function parseIndexList(text: string): TraceEntry[] {
  const trace: TraceEntry[] = [];
  const lines = text.split('\n');
  for (let number = 1; number <= lines.length; number++) {
    for (const token of lines[number - 1].split(/[\s,]+/)) {
      if (token === '') continue;
      const key = /^\d+$/.test(token) ? Number(token) : NaN;
      if (!isKey(key)) throw new TraceError(number, `${excerpt(token)} is not an index`);
      trace.push({ kind: 'lookup', key });
    }
  }
  return trace;
}

function isKey(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_KEY;
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
