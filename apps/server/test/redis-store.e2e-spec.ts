// The Redis store (`--store redis`) where it differs from the others: what Redis keeps across a
// crash of the server or of Redis, Redis going away, the recorded table size, several servers on
// one table, and the invalidations published in write order. Real redis-server processes on
// free ports throughout (test/support/redis.ts).
import { ServerAdmin, type ProtocolConnection } from '@semicache/client';
import { INVALIDATION_CHANNEL } from '@semicache/runtime';
import Redis from 'ioredis';
import { tableValues } from '../../../test/support/admin';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { linesWith } from '../../../test/support/logs';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RedisServer } from '../../../test/support/redis';
import { runToExit } from '../../../test/support/run-to-exit';
import { removeTempDirs } from '../../../test/support/temp-dirs';
import { writeRounds } from './support/write-rounds';

jest.setTimeout(60_000);

const SIZE = 200;
const STORE_UNAVAILABLE = /^OP=ERR;CODE=STORE_UNAVAILABLE;MSG=[^;]+;$/;

let redis: RedisServer;
let tables = 0;
const subscribers: Redis[] = [];

/** Flags for a server of a fresh table (its own key prefix) in `redis`. */
function redisStore(prefix: string, size = SIZE): string[] {
  return [
    '--store',
    'redis',
    '--redis-url',
    redis.url(),
    '--redis-prefix',
    prefix,
    '--size',
    String(size),
  ];
}

const freshPrefix = () => `table${++tables}`;

beforeAll(async () => {
  redis = await RedisServer.start('always');
});
afterEach(async () => {
  closeAllConnections();
  await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.quit()));
  // A test may have stopped Redis: the next one gets it back, with its data.
  if (!redis.running) await redis.restart();
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

/** Why a start failed, as its one `failed to start` line says. */
function failedStart(stderr: string): string {
  const [line] = linesWith(stderr, 'failed to start');
  return String(line?.error);
}

function serverHealth(server: RunningApp) {
  return new ServerAdmin(server.admin).health();
}

describe('durability', () => {
  it('keeps every acknowledged write across kill -9 of the server', async () => {
    const args = redisStore(freshPrefix());
    const first = await startApp('server', args);
    const acknowledged = await writeRounds(first, SIZE, 4, 3);
    expect(await first.stop('SIGKILL')).toBeNull();
    const second = await startApp('server', args);
    const expected = Array.from({ length: SIZE }, (_, i) => acknowledged.get(i) ?? '0');
    expect(await tableValues(second)).toEqual(expected);
  });

  it('fails fast with STORE_UNAVAILABLE while Redis is down (503 on /health), reconnects by itself, and a Redis crash with appendfsync always loses no acknowledged write', async () => {
    const server = await startApp('server', redisStore(freshPrefix(), 16));
    // 16 writers, each the only writer of its index, each with one PUT in flight at a time.
    const lastAcked = new Array<bigint>(16).fill(0n);
    const failed: bigint[][] = Array.from({ length: 16 }, () => []);
    const unexpected: string[] = [];
    let acked = 0;
    let stop = false;
    const writers = Promise.all(
      Array.from({ length: 16 }, async (_, index) => {
        const connection = await connectTo(server.protocol);
        for (let seq = 1n; !stop; seq++) {
          const value = BigInt(index + 1) * 1_000_000n + seq;
          const message = `OP=PUT;IND=${index};DATA=${value};`;
          const reply = await connection.send(message);
          if (reply === message) {
            lastAcked[index] = value;
            acked++;
          } else if (STORE_UNAVAILABLE.test(reply)) {
            failed[index].push(value);
            // While Redis is down: no busy loop, wait for the server to be back.
            await waitFor('the store back', async () =>
              (await serverHealth(server)).status === 200 || stop ? true : undefined,
            );
          } else {
            unexpected.push(`${message} -> ${reply}`);
            return;
          }
        }
      }),
    );

    await waitFor('writes acknowledged', () => (acked >= 500 ? true : undefined));
    await redis.stop('SIGKILL');
    const probe = await connectTo(server.protocol);
    // At once (not after a timeout): the server knows Redis is gone.
    expect(await probe.send('OP=GET;IND=0;')).toMatch(
      /CODE=STORE_UNAVAILABLE;MSG=Redis at \S+ is unreachable/,
    );
    const down = await serverHealth(server);
    expect(down.status).toBe(503);
    expect(down.body.table.writable).toBe(false);

    await redis.restart();
    await waitFor('the server to reconnect', async () =>
      (await serverHealth(server)).status === 200 ? true : undefined,
    );
    const ackedAfter = acked;
    await waitFor('writes acknowledged again', () =>
      acked >= ackedAfter + 200 ? true : undefined,
    );
    stop = true;
    await writers;

    expect(unexpected).toEqual([]);
    expect(failed.flat().length).toBeGreaterThan(0);
    // Logged once each way, at the change of state.
    const redisName = `127.0.0.1:${redis.port}/0`;
    expect(linesWith(server.stderr(), 'redis lost')).toEqual([
      expect.objectContaining({ level: 'warn', redis: redisName, role: 'store' }),
    ]);
    // At start, then back after a while without it.
    const connected = linesWith(server.stderr(), 'redis connected');
    expect(connected.map((line) => [line.level, line.redis, typeof line.downMs])).toEqual([
      ['info', redisName, 'undefined'],
      ['info', redisName, 'number'],
    ]);
    const table = (await tableValues(server)).map(BigInt);
    table.forEach((value, index) => {
      // The last acknowledged write, or one sent after it whose outcome the writer never learned.
      const legal = value === lastAcked[index] || failed[index].some((late) => late === value);
      expect([index, value, legal]).toEqual([index, value, true]);
    });
    expect(await probe.send('OP=GET;IND=0;')).toBe(`OP=GET;IND=0;DATA=${table[0]};`);
  });
});

describe('the table size recorded in Redis', () => {
  it('refuses to start with another --size, naming the size recorded', async () => {
    const prefix = freshPrefix();
    const first = await startApp('server', redisStore(prefix, 10));
    await first.stop();
    const refused = await runToExit('server', [
      '--port',
      '0',
      '--admin-port',
      '0',
      ...redisStore(prefix, 20),
    ]);
    expect(refused.code).toBe(1);
    expect(failedStart(refused.stderr)).toContain(
      `holds a table of 10 entries under prefix "${prefix}" but --size is 20; start with --size 10 or use another --redis-prefix`,
    );
  });

  it('refuses to start when Redis cannot be reached, saying where it looked', async () => {
    await redis.stop();
    const refused = await runToExit('server', [
      '--port',
      '0',
      '--admin-port',
      '0',
      ...redisStore(freshPrefix()),
    ]);
    expect(refused.code).toBe(1);
    expect(failedStart(refused.stderr)).toMatch(
      new RegExp(`^cannot reach Redis at 127\\.0\\.0\\.1:${redis.port}/0`),
    );
  });
});

describe('two servers on one table', () => {
  let first: RunningApp;
  let second: RunningApp;

  beforeAll(async () => {
    const args = redisStore(freshPrefix(), 100);
    [first, second] = await Promise.all([startApp('server', args), startApp('server', args)]);
  });

  it('serve one table: a write through one is read through the other', async () => {
    const a = await connectTo(first.protocol);
    const b = await connectTo(second.protocol);
    expect(await a.send('OP=PUT;IND=1,2;DATA=10,-20;')).toBe('OP=PUT;IND=1,2;DATA=10,-20;');
    expect(await b.send('OP=GET;IND=2,1;')).toBe('OP=GET;IND=2,1;DATA=-20,10;');
    expect(await b.send('OP=CLR;')).toBe('OP=CLR;');
    expect(await a.send('OP=ADD;IND=1,2;')).toBe('OP=ADD;IND=1,2;DATA=0;');
  });

  it('apply a PUT of many indices and a CLR atomically: a reader on the other server never sees part of one', async () => {
    const all = Array.from({ length: 100 }, (_, i) => i).join(',');
    const writer = await connectTo(first.protocol);
    const reader = await connectTo(second.protocol);
    let writing = true;
    const writes = (async () => {
      for (let round = 1; round <= 150; round++) {
        const values = new Array(100).fill(round).join(',');
        expect(await writer.send(`OP=PUT;IND=${all};DATA=${values};`)).toMatch(/^OP=PUT;/);
        if (round % 10 === 0) expect(await writer.send('OP=CLR;')).toBe('OP=CLR;');
      }
      writing = false;
    })();
    const seen = new Set<string>();
    const torn: string[] = [];
    const reads = async (connection: ProtocolConnection) => {
      while (writing) {
        const data = /DATA=(.*);$/.exec(await connection.send(`OP=GET;IND=${all};`))![1];
        const distinct = new Set(data.split(','));
        if (distinct.size !== 1) torn.push(data.slice(0, 60));
        seen.add([...distinct][0]);
      }
    };
    await Promise.all([writes, reads(reader), reads(await connectTo(second.protocol))]);
    expect(torn).toEqual([]);
    // The readers did see the table change under them, zeros (CLR) included.
    expect(seen.size).toBeGreaterThan(5);
  });
});

describe.each([
  ['the Redis store (in the write script)', () => redisStore(freshPrefix())],
  [
    'the memory store (after the write)',
    () => ['--in-memory', '--size', String(SIZE), '--invalidation', redis.url()],
  ],
])('--invalidation with %s', (_name, flags) => {
  it('publishes every acknowledged PUT and CLR, in write order, as a Nest Redis event', async () => {
    const args = flags();
    const server = await startApp('server', [
      ...args,
      ...(args.includes('--invalidation') ? [] : ['--invalidation', redis.url()]),
    ]);
    const subscriber = new Redis(redis.port, '127.0.0.1');
    subscribers.push(subscriber);
    const messages: Array<{ pattern: string; data: Record<string, unknown> }> = [];
    subscriber.on('message', (_channel: string, text: string) => messages.push(JSON.parse(text)));
    await subscriber.subscribe(INVALIDATION_CHANNEL);

    const client = await connectTo(server.protocol);
    const before = Date.now() * 1000;
    const sent = [
      'OP=PUT;IND=3,4,3;DATA=1,-2,9223372036854775807;',
      'OP=GET;IND=3;',
      'OP=CLR;',
      'OP=PUT;IND=12;DATA=5;',
      'OP=PUT;IND=300;DATA=5;', // refused: not published
    ];
    const replies = await client.sendBatch(sent);
    expect(replies[0]).toBe(sent[0]);
    expect(replies[1]).toBe('OP=GET;IND=3;DATA=9223372036854775807;');
    expect(replies[4]).toMatch(/^OP=ERR;CODE=BAD_INDEX;/);
    await waitFor('three messages', () => (messages.length >= 3 ? true : undefined));
    const after = Date.now() * 1000 + 1000;

    expect(messages.map((message) => message.pattern)).toEqual(
      new Array(3).fill(INVALIDATION_CHANNEL),
    );
    const data = messages.map(({ data: { ackedAtUs, ...rest } }) => {
      expect(ackedAtUs).toBeGreaterThanOrEqual(before - 1000);
      expect(ackedAtUs).toBeLessThanOrEqual(after);
      return rest;
    });
    expect(data).toEqual([
      // Each index once, with the value it holds after the PUT.
      { op: 'PUT', indices: [3, 4], values: ['9223372036854775807', '-2'] },
      { op: 'CLR' },
      { op: 'PUT', indices: [12], values: ['5'] },
    ]);
  });
});
