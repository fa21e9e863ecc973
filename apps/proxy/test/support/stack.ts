import type { ProtocolConnection } from '@semicache/transport';
import { createServer } from 'node:net';
import { connectTo } from '../../../../test/support/line-client';
import {
  type Endpoint,
  type RunningApp,
  type Stack,
  type StackOptions,
  getJson,
  startStack,
  upstreamOf,
} from '../../../../test/support/processes';

export { type Stack, type StackOptions, startStack, upstreamOf };

export interface Stats {
  hits: number;
  misses: number;
  hitRatio: number | null;
  evictions: number;
  size: number;
  capacity: number;
  policy: string;
}

export interface CacheView {
  policy: string;
  capacity: number;
  size: number;
  entries: Array<{ index: number; value: string; ageMs: number }>;
}

export interface TableView {
  size: number;
  entries: Array<{ index: number; value: string }>;
}

async function ok<T>(url: string): Promise<T> {
  const { status, body } = await getJson<T>(url);
  if (status !== 200) throw new Error(`GET ${url} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

export const stats = (proxy: RunningApp): Promise<Stats> => ok<Stats>(`${proxy.admin}/stats`);
export const cacheView = (proxy: RunningApp): Promise<CacheView> =>
  ok<CacheView>(`${proxy.admin}/cache`);
export const tableView = (server: RunningApp): Promise<TableView> =>
  ok<TableView>(`${server.admin}/table`);

/** The cached entries as `index=value`, in the order `/cache` lists them (next victim first). */
export async function cachedPairs(proxy: RunningApp): Promise<string[]> {
  return (await cacheView(proxy)).entries.map((entry) => `${entry.index}=${entry.value}`);
}

/** The server's whole table as strings, by index. */
export async function tableValues(server: RunningApp): Promise<string[]> {
  return (await tableView(server)).entries.map((entry) => entry.value);
}

export interface ProxyHealth {
  status: string;
  upstream: { target: string; up: boolean };
}

/** The proxy's GET /health: status code and body, whatever the status. */
export function health(proxy: RunningApp): Promise<{ status: number; body: ProxyHealth }> {
  return getJson<ProxyHealth>(`${proxy.admin}/health`);
}

/** Connects and writes `index=value` pairs straight to the server (so the proxy caches none of them). */
export async function seedServer(
  server: RunningApp,
  values: ReadonlyMap<number, bigint>,
): Promise<void> {
  const connection = await connectTo(server.protocol);
  const indices = [...values.keys()];
  const message = `OP=PUT;IND=${indices.join(',')};DATA=${indices.map((index) => values.get(index)).join(',')};`;
  const reply = await connection.send(message);
  connection.close();
  if (reply !== message) throw new Error(`seeding the server: sent ${message}, got ${reply}`);
}

/** A TCP port the OS just handed out and that nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export type { Endpoint, ProtocolConnection };
