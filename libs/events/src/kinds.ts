/**
 * The decisions an event lists, one per index it concerns, in the order they took effect. A
 * record keeps them as small numbers (no string is built on the request path); these are the
 * names the JSON shows and the `kind` filter takes.
 */
export const DECISION_KINDS = [
  // the proxy
  'hit',
  'miss',
  'stored',
  'skipped',
  'evicted',
  'written',
  'dropped',
  'cleared',
  // the server (also `written` and `cleared`)
  'read',
] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** Each kind's number in a record (its position in DECISION_KINDS). */
export const KIND = Object.fromEntries(DECISION_KINDS.map((name, code) => [name, code])) as {
  readonly [K in DecisionKind]: number;
};

/**
 * The OPs an event can have: the protocol's four, and those of decisions taken outside any
 * client request (a capacity change at run time, an invalidation from elsewhere).
 */
export const EVENT_OPS = ['GET', 'PUT', 'CLR', 'ADD', 'CONFIG', 'INVALIDATE'] as const;
export type EventOp = (typeof EVENT_OPS)[number];
