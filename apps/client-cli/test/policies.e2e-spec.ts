// `semicache policies`, `simulate` and `config set` against a real server and proxy, and
// `bench --record` and `trace record` writing traces that `simulate` replays.
import type { ConfigView, PoliciesView } from '@semicache/client';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectTo } from '../../../test/support/line-client';
import { type Stack, startStack, stopAll, waitFor } from '../../../test/support/processes';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';
import { cells, killAllCli, lines, runCli, spawnCli, target } from './support/cli';

jest.setTimeout(60_000);

afterEach(() => killAllCli());
afterAll(() => stopAll());
afterAll(() => removeTempDirs());

/** The walk-through: six distinct GETs, five repeats, the first again. */
const WALK = [1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 1];

/** The hit ratio column of `policy` in a hit ratio table, by capacity (the `*` kept). */
function column(table: string[][], policy: string): Record<string, string> {
  const at = table[0].indexOf(policy);
  return Object.fromEntries(table.slice(1).map((row) => [row[0], row[at]]));
}

/** The rows of the table that follows the line `title`, up to the blank line after it. */
function tableAfter(output: string, title: RegExp): string[][] {
  const all = lines(output);
  const start = all.findIndex((line) => title.test(line)) + 1;
  const end = all.indexOf('', start);
  return cells(all.slice(start, end).join('\n'));
}

describe('policies', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    const client = await connectTo(stack.proxy.protocol);
    for (const index of WALK) await client.send(`OP=GET;IND=${index};`);
    client.close();
  });

  it('prints each policy and OPT at each capacity, the live cache marked, and the miss-ratio curve', async () => {
    const run = await runCli([...target(stack.proxy, stack), 'policies']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^live cache: fifo, capacity 5$/m);
    expect(run.stdout).toMatch(/capacities 1\.\.10, 12 lookups since /);
    const table = tableAfter(run.stdout, /^hit ratio by capacity/);
    expect(table[0]).toEqual(['capacity', 'fifo', 'lru', 'clock', 'lfu', 'sieve', 'arc', 'opt']);
    expect(column(table, 'fifo')).toMatchObject({
      '1': '0.0%',
      '4': '0.0%',
      '5': '41.7%*',
      '6': '50.0%',
    });
    expect(column(table, 'opt')).toMatchObject({ '2': '16.7%', '4': '33.3%', '5': '41.7%' });
    // The curve: 11 rows from 100% to 0%, an axis, the capacities, the legend.
    const curve = lines(run.stdout.slice(run.stdout.indexOf('miss ratio by capacity')));
    expect(curve).toHaveLength(1 + 11 + 3);
    expect(curve[1]).toMatch(/^100% \|/);
    expect(curve[11]).toMatch(/^ {2}0% \|/);
    expect(curve[13].trim()).toBe('1  2  3  4  5  6  7  8  9 10  capacity');
    expect(curve[14]).toMatch(/f fifo.*o opt.*# several/);
    // At capacity 4 OPT misses 8 of 12 (67%: the 70% row), every other policy all (100%).
    const at = (row: number, capacity: number) => curve[row][6 + 3 * (capacity - 1) + 2];
    expect([at(1, 4), at(4, 4)]).toEqual(['#', 'o']);
  });

  it('--json prints GET /policies as it is', async () => {
    const run = await runCli([...target(stack.proxy, stack), '--json', 'policies']);
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as PoliciesView;
    expect(view.live).toEqual({ policy: 'fifo', capacity: 5 });
    expect(view.shadows.results.find((r) => r.policy === 'fifo' && r.capacity === 5)).toMatchObject(
      { hits: 5, misses: 7 },
    );
  });

  it("exits 1 with the proxy's reason when it keeps no shadows, and 3 when nothing answers", async () => {
    const off = await startStack({ proxyArgs: ['--shadows', 'off'] });
    const run = await runCli([...target(off.proxy, off), 'policies']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 404: the proxy runs with --shadows off/);
    const none = await runCli(['--proxy-admin', 'http://127.0.0.1:1', 'policies']);
    expect(none.code).toBe(3);
    expect(lines(none.stderr)).toHaveLength(1);
  });
});

describe('simulate', () => {
  const dir = makeTempDir('semicache-simulate-');
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('replays a list of indices against every policy and OPT, capacities 1..10 by default', async () => {
    const trace = file('walk.txt', `${WALK.slice(0, 6).join(' ')}\n${WALK.slice(6).join(',')}\n`);
    const run = await runCli(['simulate', '--trace', trace]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(lines(run.stdout)[0]).toBe(`${trace}: 12 entries (12 lookups, 0 writes, 0 clears)`);
    const table = tableAfter(run.stdout, /^hit ratio by capacity/);
    expect(table.map((row) => row[0])).toEqual(['capacity', ...'1 2 3 4 5 6 7 8 9 10'.split(' ')]);
    expect(column(table, 'fifo')).toMatchObject({ '4': '0.0%', '5': '41.7%', '6': '50.0%' });
    expect(column(table, 'opt')).toMatchObject({ '2': '16.7%', '4': '33.3%' });
  });

  it('--policies and --capacity choose what is replayed; --json gives the counts', async () => {
    const trace = file('walk-again.txt', WALK.join('\n'));
    const run = await runCli([
      '--json',
      'simulate',
      '--trace',
      trace,
      '--policies',
      'lru,opt',
      '--capacity',
      '4..5',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      trace: { entries: 12, lookups: 12, writes: 0, clears: 0 },
      results: [
        { policy: 'lru', capacity: 4, lookups: 12, hits: 0, misses: 12, hitRatio: 0 },
        { policy: 'lru', capacity: 5, lookups: 12, hits: 5, misses: 7, hitRatio: 5 / 12 },
        { policy: 'opt', capacity: 4, lookups: 12, hits: 4, misses: 8, hitRatio: 4 / 12 },
        { policy: 'opt', capacity: 5, lookups: 12, hits: 5, misses: 7, hitRatio: 5 / 12 },
      ],
    });
  });

  it.each([
    [['--trace', 'missing'], /cannot read .*no-such-file: ENOENT/],
    [['--trace', 'bad'], /line 2: "x" is not an index/],
    [['--trace', 'walk', '--policies', 'fifo,mru'], /"mru" is not a policy/],
    [['--trace', 'walk', '--capacity', '5..2'], /FROM\.\.TO/],
  ])('exits 2 with one clear line for %j', async (args, message) => {
    const paths: Record<string, string> = {
      missing: join(dir, 'no-such-file'),
      bad: file('bad.txt', '1 2\nx\n'),
      walk: file('walk.txt', WALK.join(' ')),
    };
    const run = await runCli(['simulate', ...args.map((arg) => paths[arg] ?? arg)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});

describe('bench --record, then simulate', () => {
  it('records every request as NDJSON that simulate replays, OPT below every policy', async () => {
    const stack = await startStack();
    const trace = join(makeTempDir('semicache-record-'), 'bench.ndjson');
    const bench = await runCli([
      ...target(stack.proxy, stack),
      'bench',
      '-c',
      '2',
      '-n',
      '300',
      '--mix',
      'get=70,put=20,add=10',
      '--distribution',
      'zipf',
      '--record',
      trace,
    ]);
    expect(bench.code).toBe(0);
    const recorded = readFileSync(trace, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { op: string; indices: number[]; outcome: string });
    expect(recorded).toHaveLength(300);
    for (const event of recorded) {
      expect(event).toEqual({
        op: expect.stringMatching(/^(GET|PUT|ADD)$/),
        indices: expect.any(Array),
        outcome: 'ok',
      });
    }
    const lookups = recorded
      .filter((e) => e.op !== 'PUT')
      .reduce((n, e) => n + e.indices.length, 0);
    const writes = recorded.filter((e) => e.op === 'PUT').length;

    const run = await runCli(['--json', 'simulate', '--trace', trace]);
    expect(run.code).toBe(0);
    const { trace: summary, results } = JSON.parse(run.stdout) as {
      trace: { lookups: number; writes: number };
      results: { policy: string; capacity: number; misses: number; lookups: number }[];
    };
    expect(summary).toMatchObject({ lookups, writes });
    for (let capacity = 1; capacity <= 10; capacity++) {
      const at = results.filter((r) => r.capacity === capacity);
      const opt = at.find((r) => r.policy === 'opt')!;
      expect(at).toHaveLength(7);
      for (const other of at) expect(opt.misses).toBeLessThanOrEqual(other.misses);
    }
  });

  it('exits 2 when it cannot write the file, before sending anything', async () => {
    const run = await runCli(['bench', '-n', '10', '--record', '/nonexistent-dir/trace.ndjson']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot write \/nonexistent-dir\/trace\.ndjson/);
  });
});

describe('trace record, then simulate', () => {
  it("replays the proxy's own events: the live policy at the live capacity counts what its shadow counted", async () => {
    const stack = await startStack({ proxyArgs: ['--admin-token', 'trace-token'] });
    const file = join(makeTempDir('semicache-trace-'), 'live.ndjson');
    // The walk, a write-allocate and a hit on it, an error, a clear, the walk again, and a
    // change of the live cache (an event outside any request, which changes no traffic).
    const requests = [
      ...WALK.map((index) => `OP=GET;IND=${index};`),
      'OP=PUT;IND=7;DATA=70;',
      'OP=ADD;IND=7,1;',
      'OP=GET;IND=99;',
      'OP=CLR;',
      ...WALK.map((index) => `OP=GET;IND=${index};`),
    ];
    const count = requests.length + 1;
    const record = spawnCli(
      [...target(stack.proxy, stack), 'trace', 'record', file, '--count', String(count)],
      { killAfterMs: 30_000 },
    );
    await waitFor(`trace record to follow the events (stderr: ${record.stderr()})`, () =>
      /following proxy events at /.test(record.stderr()) ? true : undefined,
    );
    const client = await connectTo(stack.proxy.protocol);
    for (const request of requests) await client.send(request);
    client.close();
    const shadows = (await (await fetch(`${stack.proxy.admin}/policies`)).json()) as PoliciesView;
    const change = await runCli([
      ...target(stack.proxy, stack),
      'config',
      'set',
      'capacity=2',
      '--admin-token',
      'trace-token',
    ]);
    expect(change.code).toBe(0);
    expect((await record.done).code).toBe(0);
    const recorded = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(recorded).toHaveLength(count);
    expect(JSON.parse(recorded[count - 1])).toMatchObject({
      op: 'CONFIG',
      decisions: [
        { kind: 'evicted', reason: 'oldest' },
        { kind: 'evicted', reason: 'oldest' },
        { kind: 'evicted', reason: 'oldest' },
      ],
    });

    const run = await runCli(['--json', 'simulate', '--trace', file, '--policies', 'fifo,lru']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { trace, results } = JSON.parse(run.stdout) as {
      trace: Record<string, number>;
      results: { policy: string; capacity: number; hits: number; misses: number }[];
    };
    // 26 lookups, 1 write, 1 clear: the GET of index 99, which the server refused, is not
    // replayed (the proxy's fetch failed, so it stored nothing), but the shadows counted its
    // miss, as the live cache did: one more miss in each.
    expect(trace).toEqual({ entries: 28, lookups: 26, writes: 1, clears: 1 });
    const counts = (
      view: readonly { policy: string; capacity: number; hits: number; misses: number }[],
      extraMisses: number,
    ) =>
      view
        .filter((r) => r.policy === 'fifo' || r.policy === 'lru')
        .map(({ policy, capacity, hits, misses }) => ({
          policy,
          capacity,
          hits,
          misses: misses + extraMisses,
        }));
    expect(counts(results, 1)).toEqual(counts(shadows.shadows.results, 0));
    // FIFO, 5: the walk hits 5 times; 7 (written) and 1 hit in the ADD; the walk again 5.
    expect(results.find((r) => r.policy === 'fifo' && r.capacity === 5)).toMatchObject({
      hits: 12,
      misses: 14,
    });
  });
});

describe('config set', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ proxyArgs: ['--admin-token', 'cli-token'] });
  });
  const config = (args: string[], env?: Record<string, string>) =>
    runCli([...target(stack.proxy, stack), 'config', 'set', ...args], { env });

  it("is refused without the token, or with a wrong one (exit 1, the proxy's reason)", async () => {
    const without = await config(['capacity=3']);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/HTTP 401: this needs the admin token/);
    const wrong = await config(['capacity=3', '--admin-token', 'nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/HTTP 401: wrong admin token/);
  });

  it('changes the live cache with the token from --admin-token or SEMICACHE_PROXY_ADMIN_TOKEN', async () => {
    const first = await config(['capacity=3', 'eviction=lru', '--admin-token', 'cli-token']);
    expect(first).toMatchObject({
      code: 0,
      stdout: 'proxy cache: lru, capacity 3, 0 entries; nothing evicted\n',
    });
    const second = await runCli(
      [...target(stack.proxy, stack), '--json', 'config', 'set', 'eviction=arc'],
      { env: { SEMICACHE_PROXY_ADMIN_TOKEN: 'cli-token' } },
    );
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout) as ConfigView).toEqual({
      policy: 'arc',
      capacity: 3,
      size: 0,
      evicted: [],
    });
    const stats = await runCli([...target(stack.proxy, stack), '--json', 'inspect']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ stats: { policy: 'arc', capacity: 3 } });
  });

  it('says what is wrong with a setting: exit 2 for a bad word, 1 for a value the proxy refuses', async () => {
    const token = ['--admin-token', 'cli-token'];
    const key = await config(['size=3', ...token]);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/"size=3" is not a setting: use capacity=N and\/or eviction=POLICY/);
    const number = await config(['capacity=many', ...token]);
    expect(number.code).toBe(2);
    expect(number.stderr).toMatch(/capacity must be a whole number/);
    const policy = await config(['eviction=random', ...token]);
    expect(policy.code).toBe(1);
    expect(policy.stderr).toMatch(/HTTP 400: eviction: Invalid enum value/);
  });
});
