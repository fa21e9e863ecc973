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

/** What one cache (a policy at a capacity) did with the lookups it saw. */
export interface PolicyCounts {
  /** `fifo`, `lru`, `clock`, `lfu`, `sieve`, `arc`, or `opt` (Bélády's optimum). */
  readonly policy: string;
  readonly capacity: number;
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / lookups; 0 when there was no lookup. */
  readonly hitRatio: number;
}

/** The proxy's `GET /policies`: every policy at every small capacity on the live traffic. */
export interface PoliciesView {
  /** The live cache's policy and capacity now. */
  readonly live: { readonly policy: string; readonly capacity: number };
  readonly shadows: {
    /** When these counts began (ISO): at start, or when the range last had to grow. */
    readonly since: string;
    readonly maxCapacity: number;
    /**
     * Lookups sent to the server without consulting the cache (a write on the index in flight,
     * or invalidations down): misses in every shadow.
     */
    readonly bypassedLookups: number;
    /** Values fetched for a miss and not stored, a write having raced the fetch. */
    readonly skippedFills: number;
    /** Policy by policy, capacities 1..maxCapacity. */
    readonly results: readonly PolicyCounts[];
  };
  /** Bélády's OPT over the last `window` trace entries, computed for this answer. */
  readonly opt: {
    readonly window: number;
    /** Entries (lookups, writes, clears) it holds now, of which `lookups` lookups. */
    readonly entries: number;
    readonly lookups: number;
    /** Whether the window holds every entry since `shadows.since`: then OPT and the shadows count the same lookups. */
    readonly coversShadows: boolean;
    /** Whether every capacity 1..maxCapacity was computed within `budgetMs`. */
    readonly complete: boolean;
    readonly elapsedMs: number;
    readonly budgetMs: number;
    readonly results: readonly PolicyCounts[];
  };
}

/** The body of the proxy's `PUT /config`: either or both. */
export interface ConfigChange {
  readonly capacity?: number;
  readonly eviction?: string;
}

/** The proxy's answer to `PUT /config`: the cache now, and what the change evicted. */
export interface ConfigView {
  readonly policy: string;
  readonly capacity: number;
  readonly size: number;
  /** Indices evicted by a smaller capacity, in the order they went. */
  readonly evicted: readonly number[];
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
