import {
  AdminRequestError,
  type CacheView,
  type HeatView,
  type ProxyStats,
  ProxyAdmin,
  ServerAdmin,
  type TableView,
} from '@semicache/client';
import { table } from './format';
import { CliError, EXIT } from './session';

export interface InspectView {
  readonly table: TableView;
  readonly cache: CacheView;
  readonly stats: ProxyStats;
  /** The heat of (at most) every index of the table. */
  readonly heat: HeatView;
}

/** Reads the server's table and the proxy's cache, stats and heat from their admin APIs. */
export async function readView(
  serverAdmin: string,
  proxyAdmin: string,
  timeoutMs: number,
): Promise<InspectView> {
  const server = new ServerAdmin(serverAdmin, timeoutMs);
  const proxy = new ProxyAdmin(proxyAdmin, timeoutMs);
  try {
    const tableView = await server.table();
    const [cache, stats, heat] = await Promise.all([
      proxy.cache(),
      proxy.stats(),
      proxy.heat(tableView.size),
    ]);
    return { table: tableView, cache, stats, heat };
  } catch (error) {
    if (error instanceof AdminRequestError) throw new CliError(error.message, EXIT.connection);
    throw error;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * The server's table (with each index's lookups through the proxy) beside the proxy's cache
 * (next to be evicted first), then the hit figures.
 */
export function renderView(view: InspectView): string {
  const cached = new Set(view.cache.entries.map((entry) => entry.index));
  const lookups = new Map(view.heat.indices.map((heat) => [heat.index, heat.lookups]));
  const left = table(
    ['index', 'value', 'cached', 'lookups'],
    view.table.entries.map((entry) => [
      String(entry.index),
      entry.value,
      cached.has(entry.index) ? '*' : '',
      String(lookups.get(entry.index) ?? 0),
    ]),
  ).split('\n');
  const right = table(
    ['#', 'index', 'value', 'age'],
    view.cache.entries.map((entry, position) => [
      String(position + 1),
      String(entry.index),
      entry.value,
      seconds(entry.ageMs),
    ]),
  ).split('\n');
  const width = Math.max(...left.map((line) => line.length), 'server table'.length) + 4;
  const titles = [
    'server table'.padEnd(width) +
      `proxy cache: ${view.cache.policy}, ${view.cache.size}/${view.cache.capacity}, next to go first`,
  ];
  const rows = Array.from({ length: Math.max(left.length, right.length) }, (_, i) =>
    ((left[i] ?? '').padEnd(width) + (right[i] ?? '')).trimEnd(),
  );
  const { hits, misses, hitRatio, evictions } = view.stats;
  const ratio = hitRatio === null ? 'n/a' : `${(hitRatio * 100).toFixed(1)}%`;
  return [
    ...titles,
    ...rows,
    '',
    `hits ${hits}  misses ${misses}  hit ratio ${ratio}  evictions ${evictions}`,
  ].join('\n');
}
