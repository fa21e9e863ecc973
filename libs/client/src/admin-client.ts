import type { RecentEvents } from './events-api';
import type {
  AdminRefusal,
  CacheView,
  ConfigChange,
  ConfigView,
  HeatView,
  PoliciesView,
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

/** A request other than a plain GET: a method, a JSON body, an admin token. */
export interface JsonRequest {
  readonly method?: 'GET' | 'PUT';
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as `Authorization: Bearer TOKEN`. */
  readonly token?: string;
}

/**
 * Requests `url` (GET by default) and parses its JSON body, whatever the HTTP status. Fails
 * with `AdminRequestError` when nothing answers within `timeoutMs` or the body is not JSON.
 */
export async function requestJson<T = unknown>(
  url: string,
  request: JsonRequest = {},
  timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = {};
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  try {
    // One signal for the whole exchange: a body that stalls times out like a silent server.
    const response = await fetch(url, {
      method: request.method ?? 'GET',
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: (await response.json()) as T };
  } catch (error) {
    throw new AdminRequestError(url, `cannot read ${url}: ${(error as Error).message}`);
  }
}

/** `requestJson` of a plain GET. */
export function getJson<T = unknown>(
  url: string,
  timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
): Promise<JsonAnswer<T>> {
  return requestJson<T>(url, {}, timeoutMs);
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

  /** The answer to `path` (a GET unless `request` says otherwise), whatever its status. */
  protected answer<T>(path: string, request?: JsonRequest): Promise<JsonAnswer<T>> {
    return requestJson<T>(`${this.baseUrl}${path}`, request, this.timeoutMs);
  }

  /**
   * The body of a 200 answer to `path`; any other status is an `AdminRequestError`, with the
   * refusal's message when the body has one.
   */
  protected async ok<T>(path: string, request?: JsonRequest): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const { status, body } = await requestJson<T | Partial<AdminRefusal>>(
      url,
      request,
      this.timeoutMs,
    );
    if (status === 200) return body as T;
    const refusal = body as Partial<AdminRefusal> | null;
    const why = typeof refusal?.message === 'string' ? `: ${refusal.message}` : '';
    throw new AdminRequestError(url, `${url} answered HTTP ${status}${why}`, status);
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

  /** 200, or 404 `SHADOWS_OFF` when the proxy runs with `--shadows off`. */
  policies(): Promise<PoliciesView> {
    return this.ok('/policies');
  }

  /** Changes the live cache (`PUT /config`, with the admin token). */
  configure(change: ConfigChange, token: string | undefined): Promise<ConfigView> {
    return this.ok('/config', { method: 'PUT', body: change, token });
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
