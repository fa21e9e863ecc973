import type { RecentEvents } from './events-api';
import type {
  AdminRefusal,
  CacheView,
  HeatView,
  ProxyHealth,
  ProxyStats,
  ServerHealth,
  TableEntry,
  TableView,
} from './admin-api';

export const DEFAULT_ADMIN_TIMEOUT_MS = 5000;

/** An admin API read that got no usable answer. */
export class AdminRequestError extends Error {
  constructor(
    readonly url: string,
    message: string,
    /** The HTTP status, when the API answered with one that was not wanted. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AdminRequestError';
  }
}

export interface JsonAnswer<T> {
  readonly status: number;
  readonly body: T;
}

/**
 * GETs `url` and parses its JSON body, whatever the HTTP status. Fails with `AdminRequestError`
 * when nothing answers within `timeoutMs` or the body is not JSON.
 */
export async function getJson<T = unknown>(
  url: string,
  timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
): Promise<JsonAnswer<T>> {
  try {
    // One signal for the whole exchange: a body that stalls times out like a silent server.
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: (await response.json()) as T };
  } catch (error) {
    throw new AdminRequestError(url, `cannot read ${url}: ${(error as Error).message}`);
  }
}

/** An app's admin API at `baseUrl` (e.g. `http://127.0.0.1:9001`). */
abstract class AdminApi {
  constructor(
    readonly baseUrl: string,
    readonly timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
  ) {}

  /** The last `limit` events (`GET /events/recent`). */
  recentEvents(limit: number): Promise<RecentEvents> {
    return this.ok(`/events/recent?limit=${limit}`);
  }

  /** The answer to `GET path`, whatever its status. */
  protected answer<T>(path: string): Promise<JsonAnswer<T>> {
    return getJson<T>(`${this.baseUrl}${path}`, this.timeoutMs);
  }

  /** The body of a 200 answer to `GET path`; any other status is an `AdminRequestError`. */
  protected async ok<T>(path: string): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const { status, body } = await getJson<T>(url, this.timeoutMs);
    if (status !== 200) throw new AdminRequestError(url, `${url} answered HTTP ${status}`, status);
    return body;
  }
}

/** A proxy's admin API. */
export class ProxyAdmin extends AdminApi {
  stats(): Promise<ProxyStats> {
    return this.ok('/stats');
  }

  cache(): Promise<CacheView> {
    return this.ok('/cache');
  }

  /** The `limit` indices with the most lookups. */
  heat(limit: number): Promise<HeatView> {
    return this.ok(`/heat?limit=${limit}`);
  }

  /** 200 or 503, both with the same body. */
  health(): Promise<JsonAnswer<ProxyHealth>> {
    return this.answer('/health');
  }
}

/** A server's admin API. */
export class ServerAdmin extends AdminApi {
  table(): Promise<TableView> {
    return this.ok('/table');
  }

  /** 200 with the entry, or 404 `BAD_INDEX` outside the table. */
  entry(index: number | string): Promise<JsonAnswer<TableEntry | AdminRefusal>> {
    return this.answer(`/table/${index}`);
  }

  /** 200 or 503, both with the same body. */
  health(): Promise<JsonAnswer<ServerHealth>> {
    return this.answer('/health');
  }
}
