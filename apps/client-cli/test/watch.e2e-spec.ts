// Issue 13: every decision visible, live. The assignment's walk-through (capacity 5, six distinct
// GETs) through /events and `semicache watch --json`, FIFO and LRU; watch's lines, filters,
// refusals, the server's events, its reconnection when the app restarts, and `trace record`.
import type { DecisionEvent, ProtocolConnection } from '@semicache/client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventCollector, closeAllCollectors, decisionWords } from '../../../test/support/events';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { freePort } from '../../../test/support/ports';
import {
  type RunningApp,
  type Stack,
  startApp,
  startStack,
  stopAll,
  waitFor,
} from '../../../test/support/processes';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';
import { type CliProcess, killAllCli, lines, spawnCli } from './support/cli';

jest.setTimeout(60_000);

afterEach(async () => {
  await closeAllCollectors();
  await killAllCli();
  closeAllConnections();
});
afterAll(() => stopAll());
afterAll(() => removeTempDirs());

/** What the server holds before the proxy sees any traffic. */
const SEEDED = ['100', '-101', '102', '103', '-104', '105'];

/** The CLI flags that point it at a stack's apps. */
const admins = (stack: Stack) => [
  '--proxy-admin',
  stack.proxy.admin,
  '--server-admin',
  stack.server.admin,
];

/** Starts `semicache ARGS` and waits until it follows the stream. */
async function following(args: string[]): Promise<CliProcess> {
  const cli = spawnCli(args, { killAfterMs: 30_000 });
  await waitFor(`the CLI to follow the events (stderr: ${cli.stderr()})`, () =>
    /following (proxy|server) events at /.test(cli.stderr()) ? true : undefined,
  );
  return cli;
}

async function send(connection: ProtocolConnection, ...messages: string[]): Promise<string[]> {
  const replies: string[] = [];
  for (const message of messages) replies.push(await connection.send(message));
  return replies;
}

const events = (stdout: string) => lines(stdout).map((line) => JSON.parse(line) as DecisionEvent);

describe.each([
  // The same GETs: 0..4 fill the cache, 0 is read again, 5 is the 6th distinct index.
  ['fifo', '0 oldest', 1],
  ['lru', '1 least-recent', 2],
] as const)("the assignment's walk-through, capacity 5, %s", (policy, evicted, storedIn) => {
  it(`gives the hits, misses and fills, and evicts ${evicted}, through /events and watch --json`, async () => {
    const stack = await startStack({ proxyArgs: ['--capacity', '5', '--eviction', policy] });
    const server = await connectTo(stack.server.protocol);
    await send(server, `OP=PUT;IND=0,1,2,3,4,5;DATA=${SEEDED.join(',')};`);
    const collector = await EventCollector.follow(`${stack.proxy.admin}/events`);
    const watch = await following([...admins(stack), '--json', 'watch', '--count', '7']);

    const client = await connectTo(stack.proxy.protocol);
    const gets = [0, 1, 2, 3, 4, 0, 5];
    const replies = await send(client, ...gets.map((index) => `OP=GET;IND=${index};`));
    expect(replies).toEqual(gets.map((index) => `OP=GET;IND=${index};DATA=${SEEDED[index]};`));

    const seen = await collector.take(7);
    expect(seen.map(decisionWords)).toEqual([
      ['miss 0', 'stored 0=100'],
      ['miss 1', 'stored 1=-101'],
      ['miss 2', 'stored 2=102'],
      ['miss 3', 'stored 3=103'],
      ['miss 4', 'stored 4=-104'],
      ['hit 0'],
      // The 6th distinct index: room is made first, by the policy's rule.
      ['miss 5', `evicted ${evicted}`, 'stored 5=105'],
    ]);
    expect(
      seen.map(({ seq, op, indices, outcome, source }) => ({ seq, op, indices, outcome, source })),
    ).toEqual(
      gets.map((index, n) => ({
        seq: n + 1,
        op: 'GET',
        indices: [index],
        outcome: 'ok',
        source: n === 5 ? 'cache' : 'upstream',
      })),
    );
    // One client connection; every miss waited for its own fetch.
    expect(new Set(seen.map((event) => event.conn)).size).toBe(1);
    for (const event of seen.filter((event) => event.source === 'upstream')) {
      expect(event.decisions[0]).toEqual({
        kind: 'miss',
        index: event.indices[0],
        upstreamUs: event.upstreamUs,
      });
      expect(event.upstreamUs).toBeLessThanOrEqual(event.durationUs);
    }
    // The evicted entry's age: from its fill (its event's reply) to the eviction (the last one's).
    const eviction = seen[6].decisions[1];
    if (eviction.kind !== 'evicted')
      throw new Error(`not an eviction: ${JSON.stringify(eviction)}`);
    const between = Date.parse(seen[6].time) - Date.parse(seen[storedIn - 1].time);
    expect(Math.abs(eviction.ageMs - between)).toBeLessThanOrEqual(25);

    // watch --json printed exactly these events, and stopped after 7.
    const run = await watch.done;
    expect(run.code).toBe(0);
    expect(events(run.stdout)).toEqual(seen);
  });
});

describe('watch', () => {
  let stack: Stack;
  let client: ProtocolConnection;

  beforeAll(async () => {
    stack = await startStack();
  });

  beforeEach(async () => {
    client = await connectTo(stack.proxy.protocol);
  });

  it('prints one line per request, each decision in order', async () => {
    const watch = await following([...admins(stack), 'watch', '--count', '3']);
    await send(client, 'OP=PUT;IND=1;DATA=5;', 'OP=GET;IND=1,7;', 'OP=GET;IND=12;');
    const run = await watch.done;
    expect(run.code).toBe(0);
    const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`;
    const printed = lines(run.stdout);
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatch(new RegExp(`^${time} #\\d+ PUT 1  WRITE 1=5$`));
    expect(printed[1]).toMatch(
      new RegExp(`^${time} #\\d+ GET 1,7  HIT 1 · MISS 7 \\(\\d+\\.\\d\\d ms\\) · STORE 7$`),
    );
    expect(printed[2]).toMatch(
      new RegExp(
        `^${time} #\\d+ GET 12  MISS 12 \\(\\d+\\.\\d\\d ms\\)  ERR BAD_INDEX: index 12 is outside 0\\.\\.9$`,
      ),
    );
  });

  it('--kind, --index and --op keep only the events asked for', async () => {
    // Fill the cache (0..4), then 5 and 6 evict 0 and 1.
    await send(client, 'OP=CLR;', 'OP=GET;IND=0,1,2,3,4;');
    const evictions = await following([
      ...admins(stack),
      '--json',
      'watch',
      '--kind',
      'evicted',
      '--count',
      '2',
    ]);
    const indexSix = await following([
      ...admins(stack),
      '--json',
      'watch',
      '--index',
      '6',
      '--count',
      '2',
    ]);
    const puts = await following([
      ...admins(stack),
      '--json',
      'watch',
      '--op',
      'put',
      '--count',
      '1',
    ]);
    await send(client, 'OP=GET;IND=5;', 'OP=GET;IND=2;', 'OP=PUT;IND=6;DATA=66;', 'OP=GET;IND=6;');
    const [evicting, aboutSix, written] = await Promise.all(
      [evictions, indexSix, puts].map(async (cli) => {
        const run = await cli.done;
        expect(run.code).toBe(0);
        return events(run.stdout);
      }),
    );
    expect(evicting.map((event) => [event.op, event.indices, decisionWords(event)])).toEqual([
      ['GET', [5], ['miss 5', 'evicted 0 oldest', 'stored 5=0']],
      ['PUT', [6], ['evicted 1 oldest', 'written 6=66']],
    ]);
    expect(aboutSix.map((event) => [event.op, decisionWords(event)])).toEqual([
      ['PUT', ['evicted 1 oldest', 'written 6=66']],
      ['GET', ['hit 6']],
    ]);
    expect(written.map((event) => event.op)).toEqual(['PUT']);
  });

  it('exits 2 with the reason when the app refuses a filter', async () => {
    const run = await spawnCli([...admins(stack), 'watch', '--kind', 'hits']).done;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^semicache: http:\/\/\S+\/events\?kind=hits answered HTTP 400: kind: "hits" is not a decision kind \(one of hit, miss, /,
    );
  });

  it("--server follows the server's events: reads and writes with their values", async () => {
    const watch = await following([
      ...admins(stack),
      '--json',
      'watch',
      '--server',
      '--count',
      '2',
    ]);
    await send(client, 'OP=PUT;IND=3;DATA=-7;', 'OP=GET;IND=3,8;');
    const run = await watch.done;
    expect(run.code).toBe(0);
    const seen = events(run.stdout);
    // The proxy's fetch of 8 (3 was written through, so cached): one read on the server.
    expect(seen.map((event) => [event.app, event.op, event.source, decisionWords(event)])).toEqual([
      ['server', 'PUT', 'store', ['written 3=-7']],
      ['server', 'GET', 'table', ['read 8=0']],
    ]);
    expect(seen[0].storeUs).toEqual(expect.any(Number));
  });

  it('refuses to run at the prompt, where Ctrl-C would not stop it', async () => {
    const run = await spawnCli([...admins(stack)], { input: 'watch\n' }).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /'watch' follows events until Ctrl-C: run it as a command of its own/,
    );
  });
});

describe('watch across a restart of the app', () => {
  it('reconnects by itself and goes on with the new run from its first event', async () => {
    const adminPort = await freePort();
    const dataDir = makeTempDir('semicache-watch-');
    const start = () =>
      startApp('server', ['--data-dir', dataDir, '--admin-port', String(adminPort)]);
    let server: RunningApp = await start();
    const watch = await following([
      '--server-admin',
      server.admin,
      '--json',
      'watch',
      '--server',
      '--count',
      '3',
    ]);
    await send(await connectTo(server.protocol), 'OP=PUT;IND=1;DATA=1;');
    await waitFor('the first event', () => (watch.stdout().endsWith('\n') ? true : undefined));

    expect(await server.stop()).toBe(0);
    await waitFor('watch to notice', () =>
      /lost http:\/\/\S+ \(/.test(watch.stderr()) ? true : undefined,
    );
    // Requests to the new run before watch is back (it is held still meanwhile): their seqs
    // start at 1 again, below the one watch saw, and must not be taken as seen.
    watch.child.kill('SIGSTOP');
    server = await start();
    await send(await connectTo(server.protocol), 'OP=PUT;IND=2;DATA=2;', 'OP=GET;IND=1;');
    watch.child.kill('SIGCONT');
    const run = await watch.done;
    expect(run.code).toBe(0);
    expect(events(run.stdout).map((event) => [event.seq, event.op, decisionWords(event)])).toEqual([
      [1, 'PUT', ['written 1=1']],
      [1, 'PUT', ['written 2=2']],
      [2, 'GET', ['read 1=1']],
    ]);
    expect(run.stderr).toMatch(/back on server events at /);
  });
});

describe('trace record', () => {
  it('writes the events as NDJSON to a file for --duration seconds', async () => {
    const stack = await startStack();
    const file = join(makeTempDir('semicache-trace-'), 'trace.ndjson');
    const trace = await following([...admins(stack), 'trace', 'record', file, '--duration', '3']);
    const collector = await EventCollector.follow(`${stack.proxy.admin}/events`);
    const client = await connectTo(stack.proxy.protocol);
    await send(client, 'OP=GET;IND=1;', 'OP=GET;IND=1;', 'OP=PUT;IND=2;DATA=3;');
    const seen = await collector.take(3);
    const run = await trace.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(`recorded 3 event\\(s\\) to ${file.replace(/[.]/g, '\\.')}\\n$`),
    );
    expect(events(readFileSync(file, 'utf8'))).toEqual(seen);
  });
});
