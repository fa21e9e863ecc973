import { type EventView, MAX_EVENT_DECISIONS, MAX_EVENT_INDICES } from './event-record';
import { DECISION_KINDS, type DecisionKind, EVENT_OPS, KIND } from './kinds';

/**
 * Which events a reader wants: those with one of `ops`, a decision of one of `kinds`, and one of
 * `indices` among the request's indices or the decisions' (a `cleared` decision concerns every
 * index). Each part left out matches every event.
 */
export interface EventFilter {
  readonly indices?: ReadonlySet<number>;
  readonly kinds?: ReadonlySet<number>;
  readonly ops?: ReadonlySet<string>;
}

/** A filter that cannot be read; its message says why, for a 400 answer. */
export class EventFilterError extends Error {}

type QueryValue = string | readonly string[] | undefined;

/** `a,b` and repeated parameters (`?op=GET&op=PUT`) alike, as one list. */
function items(value: QueryValue): string[] | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.join(',');
  return text.split(',').map((item) => item.trim());
}

function parseIndices(value: QueryValue): Set<number> | undefined {
  const list = items(value);
  if (list === undefined) return undefined;
  return new Set(
    list.map((item) => {
      if (!/^\d{1,10}$/.test(item) || Number(item) > 0x7fffffff) {
        throw new EventFilterError(
          `index: "${item}" is not an index (a comma-separated list of non-negative integers, e.g. index=1,7)`,
        );
      }
      return Number(item);
    }),
  );
}

/** A list of names, each one of `names` once `normalized`, as the numbers `toValue` gives. */
function parseNames<T>(
  value: QueryValue,
  field: string,
  what: string,
  names: readonly string[],
  normalized: (name: string) => string,
  toValue: (name: string) => T,
): Set<T> | undefined {
  const list = items(value);
  if (list === undefined) return undefined;
  return new Set(
    list.map((item) => {
      const name = normalized(item);
      if (!names.includes(name)) {
        throw new EventFilterError(
          `${field}: "${item}" is not ${what} (one of ${names.join(', ')})`,
        );
      }
      return toValue(name);
    }),
  );
}

const parseKinds = (value: QueryValue) =>
  parseNames(
    value,
    'kind',
    'a decision kind',
    DECISION_KINDS,
    (name) => name.toLowerCase(),
    (name) => KIND[name as DecisionKind],
  );

const parseOps = (value: QueryValue) =>
  parseNames(
    value,
    'op',
    'an OP',
    EVENT_OPS,
    (name) => name.toUpperCase(),
    (name) => name,
  );

/** The filter of a query string's `index`, `kind` and `op` parameters (others are ignored). */
export function parseEventFilter(query: Readonly<Record<string, QueryValue>>): EventFilter {
  return {
    indices: parseIndices(query.index),
    kinds: parseKinds(query.kind),
    ops: parseOps(query.op),
  };
}

function hasIndex(event: EventView, indices: ReadonlySet<number>): boolean {
  const requested = Math.min(event.indexCount, MAX_EVENT_INDICES);
  for (let i = 0; i < requested; i++) if (indices.has(event.index(i))) return true;
  const decided = Math.min(event.decisionCount, MAX_EVENT_DECISIONS);
  for (let i = 0; i < decided; i++) {
    if (event.kind(i) === KIND.cleared || indices.has(event.decisionIndex(i))) return true;
  }
  return false;
}

function hasKind(event: EventView, kinds: ReadonlySet<number>): boolean {
  const decided = Math.min(event.decisionCount, MAX_EVENT_DECISIONS);
  for (let i = 0; i < decided; i++) if (kinds.has(event.kind(i))) return true;
  return false;
}

export function matchesFilter(filter: EventFilter, record: EventView): boolean {
  if (filter.ops !== undefined && (record.op === null || !filter.ops.has(record.op))) return false;
  if (filter.kinds !== undefined && !hasKind(record, filter.kinds)) return false;
  return filter.indices === undefined || hasIndex(record, filter.indices);
}
