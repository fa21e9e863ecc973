/**
 * The decision events of `GET /events` (Server-Sent Events) and `GET /events/recent`, as JSON:
 * one event per request an app answers (and per decision taken outside any request), with its
 * decisions in the order they took effect. Values are strings: they are signed 64-bit. Every
 * field and kind is described, with examples, in docs/observability.md.
 */

export type Decision =
  /** Proxy: the index was found in the cache. */
  | { readonly kind: 'hit'; readonly index: number }
  /** Proxy: it was not (or a write on it was in flight); `upstreamUs` is the fetch's round trip. */
  | { readonly kind: 'miss'; readonly index: number; readonly upstreamUs?: number }
  /** Proxy: a fetched value was cached. */
  | { readonly kind: 'stored'; readonly index: number; readonly value: string }
  /** Proxy: a fetched value was not cached, because a write raced the fetch. */
  | { readonly kind: 'skipped'; readonly index: number; readonly value: string }
  /** Proxy: an entry went to make room, `ageMs` after it was stored, by the policy's rule. */
  | {
      readonly kind: 'evicted';
      readonly index: number;
      readonly ageMs: number;
      readonly reason: string;
    }
  /** Proxy: a write-through acknowledged and cached. Server: a write applied. */
  | { readonly kind: 'written'; readonly index: number; readonly value: string }
  /** Proxy: an entry removed because a write's outcome is unknown. */
  | { readonly kind: 'dropped'; readonly index: number }
  /** Proxy: the cache emptied of `entries` entries. Server: the table (of `entries`) set to 0. */
  | { readonly kind: 'cleared'; readonly entries: number }
  /** Server: an index read. */
  | { readonly kind: 'read'; readonly index: number; readonly value: string };

export type DecisionKind = Decision['kind'];

export interface DecisionEvent {
  /** 1, 2, … in the order the events were recorded (the order their replies were ready). */
  readonly seq: number;
  /** When the reply was ready (ISO, ms). */
  readonly time: string;
  readonly app: 'proxy' | 'server';
  /** The client connection's number (1 for the first since the app started); null: none. */
  readonly conn: number | null;
  /** GET, PUT, CLR, ADD; CONFIG or INVALIDATE for decisions outside any request; null: unreadable. */
  readonly op: string | null;
  readonly indices: readonly number[];
  readonly outcome: 'ok' | 'error';
  readonly code?: string;
  readonly message?: string;
  readonly durationUs: number;
  /** Proxy: cache, upstream or error. Server: table, store or error. */
  readonly source: string;
  /** Proxy: the wait for the server. */
  readonly upstreamUs?: number;
  /** Server: the wait for the store. */
  readonly storeUs?: number;
  readonly decisions: readonly Decision[];
  /** Present when a huge request had more indices or decisions than an event lists. */
  readonly omitted?: { readonly indices: number; readonly decisions: number };
}

/** The `connected` notice that starts every `/events` stream. */
export interface StreamConnected {
  readonly app: 'proxy' | 'server';
  /** This run of the app (seqs start again at 1 after a restart): `Last-Event-Run` on resuming. */
  readonly run: string;
  readonly heartbeatMs: number;
  readonly nextSeq: number;
  readonly oldestSeq: number;
  readonly capacity: number;
}

/** The `dropped` notice: events a slow subscriber missed (the ring moved past them). */
export interface StreamDropped {
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** `GET /events/recent`. */
export interface RecentEvents {
  readonly app: 'proxy' | 'server';
  readonly nextSeq: number;
  readonly oldestSeq: number;
  readonly events: readonly DecisionEvent[];
}
