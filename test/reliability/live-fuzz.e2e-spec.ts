/**
 * Fuzzing the live server and the live proxy over TCP (issue 7): bad input of any kind gets a
 * clear error, never a crash, a hang, or lost data.
 *
 * Thousands of random and mutated messages (invalid UTF-8, NUL bytes, huge numbers, duplicated
 * separators, ...) pipelined in batches, hand-written hostile inputs (huge index lists, messages
 * at and over the length limit), a valid message cut at every byte (sent in two writes, and every
 * prefix as a bare message), and 10 MB messages. For every connection: one reply per frame the
 * framing model finds, in order, each parsing with parseReply, each the right answer to its frame
 * (the oracle in support/fuzz.ts: the codec's own error code, or the right success), and the
 * connection still in step afterwards. After each test both processes are still up, replied no
 * INTERNAL error, and a fresh client is served correctly.
 */
import { closeAllRawClients, RawClient } from '../support/raw-client';
import { type RunningApp, stopAll, startStack } from '../support/processes';
import { recordFigures } from './support/figures';
import { liveInput, type ModelFrame, sample } from './support/fuzz';
import {
  MAX_LENGTH,
  exchange,
  expectBothStillServing,
  inPool,
  isUp,
  judgeAndSentinel,
  residentBytes,
} from './support/live';

jest.setTimeout(120_000);

const SEED = 0xf022;
/** Random and mutated inputs per target. */
const INPUTS = 20_000;
const BATCH = 25;
const PARALLEL = 8;
/** Shorter than the default 5 s, so that every prefix of a message can be tried quickly. */
const PARTIAL_TIMEOUT_MS = 1000;
/**
 * Longer than the default 50 ms: a message cut into two writes must not be taken as two bare
 * messages when the peer process happens not to run for 50 ms (a busy 2-core machine).
 */
const BARE_DELAY_MS = 500;
const HUGE = 10 * 1024 * 1024;

const NL = Buffer.from('\n');
const line = (text: string | Buffer) =>
  Buffer.concat([typeof text === 'string' ? Buffer.from(text, 'latin1') : text, NL]);

/** Hand-written hostile inputs, one connection each: name and the bytes (with their terminators). */
function hostileInputs(): Array<[string, Buffer]> {
  const cycle = (n: number) => Array.from({ length: n }, (_, i) => i % 10).join(',');
  const zeros = (n: number) => Array.from({ length: n }, () => '0').join(',');
  const padded = (total: number) => 'OP=GET;IND=1;' + ' '.repeat(total - 'OP=GET;IND=1;'.length);
  const pairs = 6000;
  // prettier-ignore
  return [
    ['invalid UTF-8 in a value', line(Buffer.concat([Buffer.from('OP=PUT;IND=1;DATA=1'), Buffer.from([0xc3, 0x28]), Buffer.from(';')]))],
    ['an overlong UTF-8 sequence', line(Buffer.from([0x4f, 0x50, 0x3d, 0xc0, 0xaf, 0x3b]))],
    ['a UTF-8 surrogate', line(Buffer.concat([Buffer.from('OP=GET;IND='), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(';')]))],
    ['valid UTF-8 that is not ASCII', line(Buffer.from('OP=GET;IND=\u00e9;', 'utf8'))],
    ['bytes 0x80..0xff', line(Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i)))],
    ['NUL bytes alone', line(Buffer.alloc(64, 0))],
    ['a NUL inside OP', line(Buffer.from('OP=G\0ET;IND=1;', 'latin1'))],
    ['a NUL after the message', line(Buffer.from('OP=GET;IND=1;\0', 'latin1'))],
    ['control bytes', line(Buffer.from(Array.from({ length: 32 }, (_, i) => i).filter((b) => b !== 10)))],
    ['a 1000-digit value', line(`OP=PUT;IND=1;DATA=${'9'.repeat(1000)};`)],
    ['a 60000-digit negative value', line(`OP=PUT;IND=1;DATA=-${'9'.repeat(60000)};`)],
    ['a 60000-digit index', line(`OP=GET;IND=${'9'.repeat(60000)};`)],
    ['a value with 60000 leading zeros', line(`OP=PUT;IND=2;DATA=${'0'.repeat(60000)}5;`)],
    ['int64 edges', line('OP=PUT;IND=1,2;DATA=9223372036854775807,-9223372036854775808;')],
    ['just past int64', line('OP=PUT;IND=1;DATA=9223372036854775808;')],
    ['an ADD that overflows', Buffer.concat([line('OP=PUT;IND=1,2;DATA=9223372036854775807,1;'), line('OP=ADD;IND=1,2;')])],
    ['an index past 2^31-1', line('OP=GET;IND=2147483648;')],
    ['an index outside the table', line('OP=GET;IND=10;')],
    ['a GET of 25000 indices', line(`OP=GET;IND=${cycle(25000)};`)],
    ['a GET of 32000 zeros (reply ~0.7 MB)', line(`OP=GET;IND=${zeros(32000)};`)],
    ['a GET of 40000 indices (over the limit)', line(`OP=GET;IND=${cycle(40000)};`)],
    [`a PUT of ${pairs} pairs`, line(`OP=PUT;IND=${cycle(pairs)};DATA=${Array.from({ length: pairs }, (_, i) => -i).join(',')};`)],
    ['a PUT with one value missing of 5000', line(`OP=PUT;IND=${cycle(5000)};DATA=${cycle(4999)};`)],
    ['an ADD of 10000 indices', line(`OP=ADD;IND=${cycle(10000)};`)],
    ['a GET with 10000 empty items', line(`OP=GET;IND=1${','.repeat(10000)};`)],
    ['10000 semicolons', line(';'.repeat(10000))],
    ['10000 fields', line('OP=GET;IND=1;' + 'X=1;'.repeat(10000))],
    ['a message of exactly the limit', line(padded(MAX_LENGTH))],
    ['a message of exactly the limit, CRLF', line(padded(MAX_LENGTH) + '\r')],
    ['a message one byte over the limit', line(padded(MAX_LENGTH + 1))],
    ['1000 blank lines, CRLFs and a message', line('\n'.repeat(500) + '\r\n'.repeat(500) + 'OP=GET;IND=1;')],
    ['a line of spaces and tabs', line(' \t '.repeat(100))],
    ['lone CRs', line('\r\r\rOP=GET;IND=1;\r\r')],
    ['100 messages back to back, two too long', Buffer.concat(Array.from({ length: 100 }, (_, i) => line(i % 50 === 7 ? 'x'.repeat(MAX_LENGTH + 10) : `OP=GET;IND=${i % 10};`)))],
  ];
}

/** Valid messages cut at every byte. */
const CUT_MESSAGES = [
  'OP=PUT;IND=3,4;DATA=-42,9223372036854775807;',
  'OP=GET;IND=3,4,3;',
  'OP=ADD;IND=3,4;',
  'op = put ; ind = 5 ; data = +7 ;',
  'OP=CLR;',
];

const figures: Record<string, Record<string, number | string>> = {};

describe.each(['server', 'proxy'] as const)('fuzzing the live %s over TCP', (targetName) => {
  let server: RunningApp;
  let proxy: RunningApp;
  let target: RunningApp;
  const codes = new Map<string, number>();
  const counts = {
    inputs: 0,
    frames: 0,
    connections: 0,
    cutWrites: 0,
    barePrefixes: 0,
    hugeBytes: 0,
  };
  let rssGrowthMb = 0;
  let rssSecondRoundMb = 0;

  beforeAll(async () => {
    const limits = [
      '--partial-message-timeout-ms',
      String(PARTIAL_TIMEOUT_MS),
      '--bare-message-delay-ms',
      String(BARE_DELAY_MS),
    ];
    ({ server, proxy } = await startStack({ serverArgs: limits, proxyArgs: limits }));
    target = targetName === 'server' ? server : proxy;
  });

  afterEach(async () => {
    closeAllRawClients();
    // Whatever a test sent, both processes are up and serve a fresh client correctly.
    await expectBothStillServing(server, proxy);
  });

  afterAll(async () => {
    closeAllRawClients();
    const up = { server: isUp(server), proxy: isUp(proxy) };
    await stopAll();
    figures[targetName] = {
      ...counts,
      rssGrowthMbOver340MbOfTooLong: Number(rssGrowthMb.toFixed(1)),
      rssGrowthMbOverLast300Mb: Number(rssSecondRoundMb.toFixed(1)),
      errorCodesReplied: JSON.stringify(Object.fromEntries([...codes].sort())),
      stayedUp: String(up.server && up.proxy),
    };
    if (targetName === 'proxy') recordFigures('live fuzzing', figures);
  });

  it(`answers ${INPUTS} random and mutated inputs, pipelined ${BATCH} to a write, each right`, async () => {
    const inputs = sample(liveInput, INPUTS, SEED + (targetName === 'server' ? 0 : 1));
    const batches: Buffer[][] = [];
    for (let i = 0; i < inputs.length; i += BATCH) batches.push(inputs.slice(i, i + BATCH));
    const problems: string[] = [];
    await inPool(batches, PARALLEL, async (batch, n) => {
      const stream = Buffer.concat(batch.flatMap((input) => [input, NL]));
      const result = await exchange(target, stream, `batch ${n}`, codes);
      counts.frames += result.frames;
      counts.connections++;
      problems.push(...result.problems);
    });
    counts.inputs += inputs.length;
    expect(problems).toEqual([]);
    // Most inputs are errors of many kinds, and the mix reached deep into the codec.
    expect([...codes.keys()]).toEqual(
      expect.arrayContaining(['BAD_SYNTAX', 'UNKNOWN_OP', 'BAD_INDEX', 'BAD_DATA', 'OVERFLOW']),
    );
  });

  it('answers hostile inputs right: invalid UTF-8, NUL, huge numbers, huge index lists, at and over the limit', async () => {
    const problems: string[] = [];
    const inputs = hostileInputs();
    await inPool(inputs, 4, async ([name, bytes]) => {
      const result = await exchange(target, bytes, name, codes);
      counts.frames += result.frames;
      counts.connections++;
      problems.push(...result.problems);
    });
    counts.inputs += inputs.length;
    expect(problems).toEqual([]);
  });

  it('answers a valid message cut at every byte into two writes, once and right', async () => {
    const cases: Array<{ message: string; first: Buffer; second: Buffer }> = [];
    for (const message of CUT_MESSAGES) {
      for (const terminator of ['\n', '\r\n']) {
        const whole = Buffer.from(message + terminator, 'latin1');
        for (let at = 1; at < whole.length; at++) {
          cases.push({ message, first: whole.subarray(0, at), second: whole.subarray(at) });
        }
      }
    }
    const problems: string[] = [];
    await inPool(cases, 32, async ({ message, first, second }) => {
      const client = await RawClient.open(target.protocol);
      // Two writes in one turn: two segments, which the peer may read apart or together.
      client.write(first);
      client.write(second);
      const replies = await client.readLines(1);
      const frames: ModelFrame[] = [{ text: message }];
      problems.push(
        ...(await judgeAndSentinel(client, frames, replies, `cut at ${first.length}`, codes)),
      );
      client.close();
      counts.connections++;
    });
    counts.cutWrites += cases.length;
    counts.inputs += cases.length;
    expect(problems).toEqual([]);
  });

  it('answers every prefix of a valid message sent as a bare message (no terminator), after the pause', async () => {
    const cases: string[] = [];
    for (const message of CUT_MESSAGES) {
      for (let at = 1; at <= message.length; at++) cases.push(message.slice(0, at));
    }
    const problems: string[] = [];
    await inPool(cases, 64, async (prefix) => {
      const client = await RawClient.open(target.protocol);
      client.write(Buffer.from(prefix, 'latin1'));
      // Answered after --bare-message-delay-ms if it ends with ";", else after the partial timeout.
      const replies = await client.readLines(1, PARTIAL_TIMEOUT_MS + 10_000);
      problems.push(
        ...(await judgeAndSentinel(
          client,
          [{ text: prefix }],
          replies,
          `bare ${JSON.stringify(prefix)}`,
          codes,
        )),
      );
      client.close();
      counts.connections++;
    });
    counts.barePrefixes += cases.length;
    counts.inputs += cases.length;
    expect(problems).toEqual([]);
  });

  it('answers 10 MB and 100 MB messages with TOO_LONG without holding them in memory, and stays usable', async () => {
    const huge = Buffer.alloc(HUGE, '7');
    huge.write('OP=PUT;IND=1;DATA=', 'latin1');

    /** Three at once, terminated, each followed by a good request on the same connection. */
    const threeAtOnce = (message: Buffer) =>
      Promise.all(
        [0, 1, 2].map(async (n) => {
          const client = await RawClient.open(target.protocol);
          client.write(message);
          client.write(`\nOP=PUT;IND=${n};DATA=${n};\n`);
          // One TOO_LONG; any further error replies before the PUT's mean the peer saw a pause
          // of --bare-message-delay-ms inside the message (which a pause ends).
          const replies: string[] = [];
          for (let i = 0; i < 50; i++) {
            const reply = await client.readLine(60_000);
            replies.push(reply);
            if (!reply.startsWith('OP=ERR;')) break;
          }
          client.close();
          counts.connections++;
          counts.hugeBytes += message.length;
          counts.inputs++;
          expect(replies[0]).toMatch(/^OP=ERR;CODE=TOO_LONG;MSG=[^;]+;$/);
          expect(replies[replies.length - 1]).toBe(`OP=PUT;IND=${n};DATA=${n};`);
          for (const reply of replies.slice(1, -1)) expect(reply).toMatch(/^OP=ERR;CODE=[A-Z_]+;/);
        }),
      );

    const start = await residentBytes(target);
    await threeAtOnce(huge);

    // One never terminated: the client half-closes; it gets TOO_LONG and a clean close.
    const bare = await RawClient.open(target.protocol);
    bare.write(huge);
    bare.end();
    await bare.whenClosed();
    const left: string[] = [];
    while (bare.available > 0) left.push(await bare.readLine());
    expect(left.length).toBeGreaterThan(0);
    expect(left[0]).toMatch(/^OP=ERR;CODE=TOO_LONG;/);
    expect(bare.unterminated).toBe('');
    counts.connections++;
    counts.hugeBytes += HUGE;
    counts.inputs++;

    // The first 40 MB warm the allocator up: RSS grows by some tens of MB whatever the size
    // sent, and moves by as much with the garbage collector. Then three 100 MB messages at once:
    // holding even one of them would add 100 MB.
    const warm = await residentBytes(target);
    const bigger = Buffer.alloc(10 * HUGE, '7');
    bigger.write('OP=GET;IND=', 'latin1');
    await threeAtOnce(bigger);
    const after = await residentBytes(target);
    rssGrowthMb = (after - start) / 2 ** 20;
    rssSecondRoundMb = (after - warm) / 2 ** 20;
    expect(rssSecondRoundMb).toBeLessThan(64);
    expect(rssGrowthMb).toBeLessThan(128);
  });
});
