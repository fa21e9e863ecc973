/**
 * The JSON bodies of the admin HTTP APIs, written once: the apps' admin controllers return these
 * types, and the CLI and the tests read them. Table and cache values are strings: they are signed
 * 64-bit integers, which a JSON number cannot always hold.
 */

/** The proxy's hit, miss and eviction counts since it started. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); null before the first lookup. */
  readonly hitRatio: number | null;
  readonly evictions: number;
}

/** A proxy's invalidations (with `--invalidation`): whether it receives them, and how late. */
export interface InvalidationStats {
  /** Whether the proxy is subscribed now (else it serves no hits). */
  readonly subscribed: boolean;
  /** Invalidations applied since the proxy started. */
  readonly invalidations: number;
  /** Times the cache was emptied because invalidations may have been missed. */
  readonly resets: number;
  /**
   * From a write's acknowledgement at the server to its invalidation applied: the percentiles of
   * the last 4096, the maximum since the proxy started.
   */
  readonly lagSeconds: {
    readonly samples: number;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
}

/** The proxy's `GET /stats`: the counts, and the cache's size and settings. */
export interface ProxyStats extends CacheStats {
  readonly size: number;
  readonly capacity: number;
  readonly policy: string;
  /** With `--invalidation` only. */
  readonly invalidation?: InvalidationStats;
}

export interface CachedEntry {
  readonly index: number;
  readonly value: string;
  /** How long ago the value was stored in the cache. */
  readonly ageMs: number;
}

/** The proxy's `GET /cache`: the entries in eviction order, the next to go first. */
export interface CacheView {
  readonly policy: string;
  /** The rule the policy evicts by, as `evicted` events name it (`oldest`, `least-recent`). */
  readonly reason: string;
  readonly capacity: number;
  readonly size: number;
  /** The index the next new entry would evict: the first entry, once the cache is full; else null. */
  readonly nextVictim: number | null;
  readonly entries: readonly CachedEntry[];
}

/** One index's heat in the proxy's `GET /heat`. */
export interface IndexHeat {
  readonly index: number;
  /** Hits + misses, plus `lookupsError`. */
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  readonly writes: number;
  readonly evictions: number;
  /** The last lookup or write (ISO time), and how long ago it was. */
  readonly lastAccess: string;
  readonly idleMs: number;
  /** How much `lookups` may overstate (0 for an index counted since its first lookup). */
  readonly lookupsError: number;
}

/** The proxy's `GET /heat`: indices by lookups, the most first. */
export interface HeatView {
  /** Distinct indices counted at most (`--heat-limit`). */
  readonly limit: number;
  /** Distinct indices counted now. */
  readonly tracked: number;
  /** Whether every count is exact (no index ever had to make room for another). */
  readonly exact: boolean;
  readonly indices: readonly IndexHeat[];
}

/** The proxy's `GET /health`: 200 `ok`, or 503 `degraded` while its server is unreachable. */
export interface ProxyHealth {
  readonly status: 'ok' | 'degraded';
  /** The server requests go to now; with several (`--upstream A,B`), each of them too. */
  readonly upstream: {
    readonly target: string;
    readonly up: boolean;
    readonly targets?: readonly { readonly target: string; readonly up: boolean }[];
  };
  /** With `--invalidation` only: 503 `degraded` while not subscribed (no hits are served). */
  readonly invalidation?: { readonly target: string; readonly subscribed: boolean };
}

/** The server's `GET /table/:index`, and one entry of `GET /table`. */
export interface TableEntry {
  readonly index: number;
  readonly value: string;
}

/** The server's `GET /table`: every entry, by index. */
export interface TableView {
  readonly size: number;
  readonly entries: readonly TableEntry[];
}

/** The server's `GET /health`: 200 `ok`, or 503 `failing` once the table can no longer be written. */
export interface ServerHealth {
  readonly status: 'ok' | 'failing';
  readonly table: { readonly size: number; readonly writable: boolean; readonly failure?: string };
}

/** A refusal with a protocol error code, e.g. 404 `BAD_INDEX` from `GET /table/:index`. */
export interface AdminRefusal {
  readonly error: string;
  readonly message: string;
}
