import type {
  AdminRefusal,
  CacheView,
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

/** The body of a 200 answer; any other status is an `AdminRequestError`. */
async function getOk<T>(url: string, timeoutMs: number): Promise<T> {
  const { status, body } = await getJson<T>(url, timeoutMs);
  if (status !== 200) throw new AdminRequestError(url, `${url} answered HTTP ${status}`, status);
  return body;
}

/** A proxy's admin API at `baseUrl` (e.g. `http://127.0.0.1:9001`). */
export class ProxyAdmin {
  constructor(
    readonly baseUrl: string,
    readonly timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
  ) {}

  stats(): Promise<ProxyStats> {
    return getOk(`${this.baseUrl}/stats`, this.timeoutMs);
  }

  cache(): Promise<CacheView> {
    return getOk(`${this.baseUrl}/cache`, this.timeoutMs);
  }

  /** 200 or 503, both with the same body. */
  health(): Promise<JsonAnswer<ProxyHealth>> {
    return getJson(`${this.baseUrl}/health`, this.timeoutMs);
  }
}

/** A server's admin API at `baseUrl` (e.g. `http://127.0.0.1:9002`). */
export class ServerAdmin {
  constructor(
    readonly baseUrl: string,
    readonly timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
  ) {}

  table(): Promise<TableView> {
    return getOk(`${this.baseUrl}/table`, this.timeoutMs);
  }

  /** 200 with the entry, or 404 `BAD_INDEX` outside the table. */
  entry(index: number | string): Promise<JsonAnswer<TableEntry | AdminRefusal>> {
    return getJson(`${this.baseUrl}/table/${index}`, this.timeoutMs);
  }

  /** 200 or 503, both with the same body. */
  health(): Promise<JsonAnswer<ServerHealth>> {
    return getJson(`${this.baseUrl}/health`, this.timeoutMs);
  }
}
