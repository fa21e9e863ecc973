import { table } from './format';
import { CliError, EXIT } from './session';

interface TableBody {
  size: number;
  entries: { index: number; value: string }[];
}
interface CacheBody {
  policy: string;
  capacity: number;
  size: number;
  entries: { index: number; value: string; ageMs: number }[];
}
interface StatsBody {
  hits: number;
  misses: number;
  hitRatio: number | null;
  evictions: number;
}

export interface InspectView {
  readonly table: TableBody;
  readonly cache: CacheBody;
  readonly stats: StatsBody;
}

async function fetchJson<T>(url: string, timeoutMs: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new CliError(`cannot read ${url}: ${(error as Error).message}`, EXIT.connection);
  }
  if (!response.ok) throw new CliError(`${url} answered HTTP ${response.status}`, EXIT.connection);
  return (await response.json()) as T;
}

/** Reads the server's table and the proxy's cache and stats from their admin APIs. */
export async function readView(
  serverAdmin: string,
  proxyAdmin: string,
  timeoutMs: number,
): Promise<InspectView> {
  const [tableBody, cache, stats] = await Promise.all([
    fetchJson<TableBody>(`${serverAdmin}/table`, timeoutMs),
    fetchJson<CacheBody>(`${proxyAdmin}/cache`, timeoutMs),
    fetchJson<StatsBody>(`${proxyAdmin}/stats`, timeoutMs),
  ]);
  return { table: tableBody, cache, stats };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The server's table beside the proxy's cache (next to be evicted first), then the hit figures. */
export function renderView(view: InspectView): string {
  const cached = new Set(view.cache.entries.map((entry) => entry.index));
  const left = table(
    ['index', 'value', 'cached'],
    view.table.entries.map((entry) => [
      String(entry.index),
      entry.value,
      cached.has(entry.index) ? '*' : '',
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
