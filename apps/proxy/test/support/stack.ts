import {
  ProxyAdmin,
  type CacheView,
  type JsonAnswer,
  type ProxyHealth,
  type ProxyStats,
} from '@semicache/client';
import { tableValues } from '../../../../test/support/admin';
import { connectTo } from '../../../../test/support/line-client';
import { freePort } from '../../../../test/support/ports';
import {
  type RunningApp,
  type Stack,
  type StackOptions,
  startStack,
  upstreamOf,
} from '../../../../test/support/processes';

export { type Stack, type StackOptions, freePort, startStack, tableValues, upstreamOf };

export const stats = (proxy: RunningApp): Promise<ProxyStats> =>
  new ProxyAdmin(proxy.admin).stats();
export const cacheView = (proxy: RunningApp): Promise<CacheView> =>
  new ProxyAdmin(proxy.admin).cache();

/** The cached entries as `index=value`, in the order `/cache` lists them (next victim first). */
export async function cachedPairs(proxy: RunningApp): Promise<string[]> {
  return (await cacheView(proxy)).entries.map((entry) => `${entry.index}=${entry.value}`);
}

/** The proxy's GET /health: status code and body, whatever the status. */
export function health(proxy: RunningApp): Promise<JsonAnswer<ProxyHealth>> {
  return new ProxyAdmin(proxy.admin).health();
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
