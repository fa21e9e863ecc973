/**
 * semicache paired with programs like the course assignment's other implementations
 * (test/support/course-peers.ts): a course client in front of the proxy, the proxy and the CLI in
 * front of a course server. Such a peer reads one message per `recv`, writes replies without a
 * line terminator (sometimes without the final `;`, with a `CODE=200` field, or with our own
 * terminator echoed back) and keeps one connection for life. Timings are asserted loosely: a
 * bare exchange is answered well under a second, not after the 5 s partial-message timeout.
 */
import type { ProtocolConnection } from '@semicache/client';
import { killAllCli, lines, runCli } from '../apps/client-cli/test/support/cli';
import {
  CourseClient,
  CourseServer,
  type ReplyStyle,
  closeAllCourseClients,
} from './support/course-peers';
import { closeAllConnections, connectTo } from './support/line-client';
import { type RunningApp, startApp, startStack, stopAll, waitFor } from './support/processes';
import { runToExit } from './support/run-to-exit';

jest.setTimeout(60_000);

const WELL_UNDER_A_SECOND = 1000;
let course: CourseServer | undefined;

afterEach(async () => {
  closeAllCourseClients();
  closeAllConnections();
  await killAllCli();
  await stopAll();
  await course?.close();
  course = undefined;
});

describe('a course client → the proxy', () => {
  it('is answered at the short pause, with or without the final ; and with None placeholders', async () => {
    const { proxy } = await startStack();
    const client = await CourseClient.connect(proxy.protocol);
    const exchanges: [string, string][] = [
      ['OP=PUT;IND=1,2;DATA=10,20', 'OP=PUT;IND=1,2;DATA=10,20;'],
      ['OP=GET;IND=2,1', 'OP=GET;IND=2,1;DATA=20,10;'],
      ['OP=GET;IND=3;DATA=None;', 'OP=GET;IND=3;DATA=0;'],
      ['OP=ADD;IND=1,2;DATA=None', 'OP=ADD;IND=1,2;DATA=30;'],
      ['OP=CLR;IND=None;DATA=None', 'OP=CLR;'],
      ['OP=GET;IND=1;', 'OP=GET;IND=1;DATA=0;'],
    ];
    for (const [message, expected] of exchanges) {
      const { reply, ms } = await client.ask(message);
      expect({ message, reply: reply.trimEnd() }).toEqual({ message, reply: expected });
      expect(ms).toBeLessThan(WELL_UNDER_A_SECOND);
    }
  });
});

/** A proxy in front of `course`, with `--upstream-framing` if given, and a line client to it. */
async function proxyInFront(
  server: CourseServer,
  framing: string | undefined,
  extraArgs: readonly string[] = [],
): Promise<{ proxy: RunningApp; client: ProtocolConnection }> {
  const framingArgs = framing === undefined ? [] : ['--upstream-framing', framing];
  const proxy = await startApp('proxy', [
    '--upstream',
    server.target,
    ...framingArgs,
    ...extraArgs,
  ]);
  return { proxy, client: await connectTo(proxy.protocol) };
}

/** Sends `message` through `client` and resolves with the reply, failing if it took a second. */
async function timed(client: ProtocolConnection, message: string): Promise<string> {
  const started = Date.now();
  const reply = await client.send(message);
  const fast = Date.now() - started < WELL_UNDER_A_SECOND;
  expect({ message, reply, fast }).toEqual({ message, reply, fast: true });
  return reply;
}

const STYLES: ReplyStyle[] = ['plain', 'no-final-semicolon', 'echo-inside', 'echo-after'];
const FRAMINGS: [string, string | undefined][] = [
  ['auto (the default)', undefined],
  ['bare', 'bare'],
];

describe.each(FRAMINGS)('the proxy → a course server, --upstream-framing %s', (_, framing) => {
  it.each(STYLES)('serves every operation from a server whose replies are %s', async (style) => {
    course = await CourseServer.start({ style });
    const { client } = await proxyInFront(course, framing);
    expect(await timed(client, 'OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
    expect(await timed(client, 'OP=GET;IND=3,1;')).toBe('OP=GET;IND=3,1;DATA=0,10;');
    expect(await timed(client, 'OP=ADD;IND=1,2,3;')).toBe('OP=ADD;IND=1,2,3;DATA=30;');
    // Misses pipelined by the client go upstream one at a time, and come back in order.
    expect(
      await client.sendBatch(['OP=GET;IND=4;', 'OP=PUT;IND=5;DATA=-7;', 'OP=GET;IND=6,5;']),
    ).toEqual(['OP=GET;IND=4;DATA=0;', 'OP=PUT;IND=5;DATA=-7;', 'OP=GET;IND=6,5;DATA=0,-7;']);
    expect(await timed(client, 'OP=GET;IND=12;')).toMatch(/^OP=ERR;CODE=BAD_INDEX;/);
    expect(await timed(client, 'OP=CLR;')).toBe('OP=CLR;');
    expect(await timed(client, 'OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=0;');

    // One connection, one message per read; bare: no terminator, auto: CRLF on the first only.
    expect(course.accepted).toBe(1);
    const [first, ...rest] = course.received;
    expect(first).toMatch(framing === 'bare' ? /^OP=PUT;[^\r\n]*$/ : /^OP=PUT;[^\r\n]*\r\n$/);
    for (const message of rest) expect(message).toMatch(/^OP=(GET|PUT|CLR);([^\r\n]*;)?$/);
  });

  it('keeps its one connection through a timeout and drops the late reply', async () => {
    let slowOnce = true;
    course = await CourseServer.start({
      style: 'echo-inside',
      delayMs: (message) => {
        if (!slowOnce || !message.includes('IND=7;')) return 0;
        slowOnce = false;
        return 900;
      },
    });
    const { client } = await proxyInFront(course, framing, ['--upstream-timeout-ms', '600']);
    expect(await timed(client, 'OP=PUT;IND=2;DATA=5;')).toBe('OP=PUT;IND=2;DATA=5;');
    expect(await timed(client, 'OP=GET;IND=7;')).toMatch(/^OP=ERR;CODE=UPSTREAM_TIMEOUT;/);
    // Waits behind the late reply at the course server, which is not taken for its own.
    expect(await client.send('OP=GET;IND=3,2;')).toBe('OP=GET;IND=3,2;DATA=0,5;');
    expect(await timed(client, 'OP=GET;IND=7,2;')).toBe('OP=GET;IND=7,2;DATA=0,5;');
    expect(course.accepted).toBe(1);
    expect(course.serving).toBe(true);
  });
});

describe('a one-connection server that closes every later connection at once', () => {
  it('the proxy reconnects with a growing backoff, not at full speed', async () => {
    course = await CourseServer.start();
    const server = course;
    await proxyInFront(server, undefined);
    await waitFor('the proxy to connect', () => (server.accepted === 1 ? true : undefined));
    server.dropClient();
    // Backoff from 50 ms, doubling: the sixth connection comes 400 to 800 ms after the fifth.
    await waitFor('five reconnections', () => (server.accepted >= 6 ? true : undefined));
    const gaps = server.acceptedAt.slice(1).map((at, i) => at - server.acceptedAt[i]);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(200);
  });
});

describe('the CLI → a course server', () => {
  const SESSION = 'put 1=10 2=20\nget 2 1 3\nadd 1 2\nraw OP=GET;IND=1;\nclr\nget 1\n';
  const OUTPUT = [
    'stored 1=10 2=20',
    'index  value',
    '    2     20',
    '    1     10',
    '    3      0',
    'sum of 1 + 2 = 30',
    'OP=GET;IND=1;DATA=10;CODE=200;',
    'cleared the table and the cache',
    'index  value',
    '    1      0',
  ];

  it.each<[string, string[], Record<string, string>]>([
    ['with the default --framing auto', [], {}],
    ['with --framing bare', ['--framing', 'bare'], {}],
    ['with SEMICACHE_FRAMING=bare', [], { SEMICACHE_FRAMING: 'bare' }],
  ])('a prompt session on its one connection, %s', async (_, flags, env) => {
    course = await CourseServer.start({ style: 'echo-inside' });
    const run = await runCli(['--port', String(course.endpoint.port), ...flags], {
      input: SESSION,
      env,
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(run.stdout)).toEqual(OUTPUT);
    expect(course.accepted).toBe(1);
    const terminated = course.received.filter((message) => /[\r\n]/.test(message));
    expect(terminated).toHaveLength(flags.length + Object.keys(env).length > 0 ? 0 : 1);
    // Six requests, none waiting out the 5 s --timeout (nor the proxy's partial-message timeout).
    expect(run.elapsedMs).toBeLessThan(5000);
  });

  it('one command with --framing bare, answered in well under a second', async () => {
    course = await CourseServer.start({ style: 'no-final-semicolon' });
    const run = await runCli([
      '--port',
      String(course.endpoint.port),
      '--framing',
      'bare',
      '--json',
      'get',
      '4',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ op: 'GET', indices: [4], values: ['0'] });
    expect(course.received).toEqual(['OP=GET;IND=4;']);
  });

  it('--framing takes only line, bare or auto (exit 2)', async () => {
    const run = await runCli(['--framing', 'lines', 'get', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/line, bare, auto/);
  });
});

describe('--upstream-framing', () => {
  it('line: the proxy pipelines to semicache’s own server as before', async () => {
    const { proxy } = await startStack({ proxyArgs: ['--upstream-framing', 'line'] });
    const client = await connectTo(proxy.protocol);
    expect(
      await client.sendBatch(['OP=PUT;IND=1;DATA=4;', 'OP=GET;IND=1,2;', 'OP=ADD;IND=1,1;']),
    ).toEqual(['OP=PUT;IND=1;DATA=4;', 'OP=GET;IND=1,2;DATA=4,0;', 'OP=ADD;IND=1,1;DATA=8;']);
  });

  it('refuses another value, naming the flag, and does not start', async () => {
    const result = await runToExit('proxy', ['--port', '0', '--admin-port', '0'], {
      env: { ...process.env, SEMICACHE_PROXY_UPSTREAM_FRAMING: 'lines' },
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(/upstream-framing|upstreamFraming/);
  });
});
