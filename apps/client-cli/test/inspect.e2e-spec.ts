// Issue 5: `inspect` after a known sequence of requests shows the server's
// table beside the proxy's cache in eviction order (oldest first) and the hit/miss figures. A
// fresh server and proxy (capacity 5, FIFO, the defaults) so the counters start at zero.
import type { CacheView, HeatView, ProxyStats, TableView } from '@semicache/client';
import { freePort } from '../../../test/support/ports';
import { cells, lines, runCli, target, useStack } from './support/cli';

jest.setTimeout(60_000);

/** What `inspect --json` prints: the four admin API bodies it read. */
interface View {
  table: TableView;
  cache: CacheView;
  stats: ProxyStats;
  heat: HeatView;
}

const stack = useStack();

const viaProxy = (...args: string[]) => runCli([...target(stack.proxy, stack), ...args]);
const viaServer = (...args: string[]) => runCli([...target(stack.server), ...args]);

async function inspectJson(): Promise<View> {
  const run = await viaProxy('--json', 'inspect');
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as View;
}

describe('inspect', () => {
  beforeAll(async () => {
    // The known sequence: clear; give entries 0..6 distinct values on the server directly (so the
    // proxy's cache is not touched); then GET 0, 1, ..., 6 through the proxy, one request each.
    // Capacity 5 and FIFO: 0 and 1 are evicted, 2..6 stay, 2 the oldest.
    expect((await viaProxy('clr')).code).toBe(0);
    const put = await viaServer(
      'put',
      '0=100',
      '1=101',
      '2=102',
      '3=103',
      '4=104',
      '5=105',
      '6=106',
    );
    expect(put).toMatchObject({
      code: 0,
      stdout: 'stored 0=100 1=101 2=102 3=103 4=104 5=105 6=106\n',
    });
    // The prompt through a pipe: one GET a line, in order.
    const run = await runCli(target(stack.proxy), {
      input: [0, 1, 2, 3, 4, 5, 6].map((i) => `get ${i}\n`).join(''),
    });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(cells(run.stdout).filter((row) => row[0] !== 'index')).toEqual([
      ['0', '100'],
      ['1', '101'],
      ['2', '102'],
      ['3', '103'],
      ['4', '104'],
      ['5', '105'],
      ['6', '106'],
    ]);
  });

  it('--json: the cache holds 2..6, oldest first, and the stats count 7 misses, 2 evictions', async () => {
    const view = await inspectJson();
    expect(view.cache).toMatchObject({ policy: 'fifo', capacity: 5, size: 5 });
    expect(view.cache.entries.map((entry) => entry.index)).toEqual([2, 3, 4, 5, 6]);
    expect(view.cache.entries.map((entry) => entry.value)).toEqual([
      '102',
      '103',
      '104',
      '105',
      '106',
    ]);
    const ages = view.cache.entries.map((entry) => entry.ageMs);
    expect(ages).toEqual([...ages].sort((a, b) => b - a)); // oldest (largest age) first
    expect(view.stats).toMatchObject({ hits: 0, misses: 7, evictions: 2 });
    // The heat: one lookup (a miss) of each of 0..6, and the evictions of 0 and 1.
    expect(
      view.heat.indices
        .map(({ index, lookups, misses, evictions }) => [index, lookups, misses, evictions])
        .sort((a, b) => a[0] - b[0]),
    ).toEqual([0, 1, 2, 3, 4, 5, 6].map((index) => [index, 1, 1, index < 2 ? 1 : 0]));
    expect(view.table.size).toBe(10);
    expect(view.table.entries.map((entry) => entry.value)).toEqual([
      '100',
      '101',
      '102',
      '103',
      '104',
      '105',
      '106',
      '0',
      '0',
      '0',
    ]);
  });

  it('--json: a hit on 3 counts one hit and, under FIFO, does not change the order', async () => {
    const before = await inspectJson();
    expect((await viaProxy('get', '3')).code).toBe(0);
    const after = await inspectJson();
    expect(after.stats.hits).toBe(before.stats.hits + 1);
    expect(after.stats.misses).toBe(before.stats.misses);
    expect(after.cache.entries.map((entry) => entry.index)).toEqual([2, 3, 4, 5, 6]);
  });

  it('human output: the "server table" and "proxy cache" titles, the cache oldest first, the hit figures', async () => {
    const view = await inspectJson();
    const run = await viaProxy('inspect');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = lines(run.stdout);
    expect(out[0]).toMatch(/^server table\s+proxy cache\b/);
    expect(out[0]).toContain('fifo');
    expect(out[0]).toContain('5/5');
    // The two tables side by side: split each row where the "proxy cache" title starts.
    const split = out[0].indexOf('proxy cache');
    const blank = out.indexOf('');
    expect(blank).toBeGreaterThan(1);
    const rows = out.slice(1, blank);
    const left = rows.map((row) => row.slice(0, split).trim().split(/\s+/));
    const right = rows.map((row) => row.slice(split).trim()).filter((cell) => cell !== '');
    expect(left[0]).toEqual(['index', 'value', 'cached', 'lookups']);
    // Each of 0..6 looked up once through the proxy (the GETs above), 3 once more (the hit
    // above); 7..9 never.
    expect(left.slice(1)).toEqual([
      ['0', '100', '1'],
      ['1', '101', '1'],
      ['2', '102', '*', '1'],
      ['3', '103', '*', '2'],
      ['4', '104', '*', '1'],
      ['5', '105', '*', '1'],
      ['6', '106', '*', '1'],
      ['7', '0', '0'],
      ['8', '0', '0'],
      ['9', '0', '0'],
    ]);
    const cache = right.map((row) => row.split(/\s+/));
    expect(cache[0]).toEqual(['#', 'index', 'value', 'age']);
    expect(cache.slice(1).map(([position, index, value]) => [position, index, value])).toEqual([
      ['1', '2', '102'],
      ['2', '3', '103'],
      ['3', '4', '104'],
      ['4', '5', '105'],
      ['5', '6', '106'],
    ]);
    for (const row of cache.slice(1)) expect(row[3]).toMatch(/^\d+(\.\d+)?s$/);
    // The figures line, the same counts as --json.
    const figures = out.slice(blank + 1).join('\n');
    expect(figures).toMatch(new RegExp(`hits ${view.stats.hits}\\b`));
    expect(figures).toMatch(new RegExp(`misses ${view.stats.misses}\\b`));
    expect(figures).toMatch(new RegExp(`evictions ${view.stats.evictions}\\b`));
    expect(figures).toMatch(/hit ratio \d+(\.\d+)?%/);
  });

  it('exits 3 with one line when an admin API cannot be reached', async () => {
    const port = await freePort();
    const run = await runCli([
      ...target(stack.proxy),
      '--server-admin',
      stack.server.admin,
      '--proxy-admin',
      `http://127.0.0.1:${port}`,
      'inspect',
    ]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
  });
});
