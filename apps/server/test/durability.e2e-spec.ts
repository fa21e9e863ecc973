// The table on disk. An acknowledged write survives kill -9; SIGTERM is graceful;
// a damaged or mismatched data directory is refused at start, never silently replaced.
import type { ProtocolConnection } from '@semicache/client';
import { appendFileSync, cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { tableValues } from '../../../test/support/admin';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { linesWith } from '../../../test/support/logs';
import { startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { type Exited, runToExit } from '../../../test/support/run-to-exit';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';
import { writeRounds } from './support/write-rounds';

jest.setTimeout(60_000);

const SIZE = 1000;

afterEach(async () => {
  closeAllConnections();
  closeAllRawClients();
  await stopAll();
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

/** One record in table.log's own format: `<crc32 of payload, 8 hex digits> <payload>\n`. */
function logLine(payload: string): string {
  return `${crc32(payload).toString(16).padStart(8, '0')} ${payload}\n`;
}

/** Table values written compactly: '0,11,22' -> ['0', '11', '22']. */
function entries(values: string): string[] {
  return values.split(',');
}

/** A start that must fail: the process's exit code and stderr (ports are free ones, in case it starts after all). */
function startExpectingRefusal(dataDir: string, size = 10) {
  return runToExit(
    'server',
    ['--port', '0', '--admin-port', '0', '--data-dir', dataDir, '--size', String(size)],
    { timeoutMs: 15_000 },
  );
}

describe('every acknowledged write survives kill -9', () => {
  it('keeps hundreds of pipelined PUTs from several connections, and writes past a log compaction, across SIGKILL and restart', async () => {
    const dataDir = makeTempDir();
    const args = ['--data-dir', dataDir, '--size', String(SIZE)];
    const first = await startApp('server', args);
    const acknowledged = await writeRounds(first, SIZE, 4, 3);
    expect(acknowledged.size).toBe(SIZE);

    // Then enough to fold the log into a new snapshot (past 4 MiB): PUTs of the first half of
    // the table with 19-digit values, about 12 KB of log each.
    const half = Array.from({ length: SIZE / 2 }, (_, i) => i);
    const valuesOf = (round: number) =>
      half.map((i) => String(-(1_000_000_000_000_000_000n + BigInt(round * SIZE + i))));
    const client = await connectTo(first.protocol);
    let written = 0;
    const rounds = 400;
    for (let start = 0; start < rounds; start += 40) {
      const batch = Array.from(
        { length: 40 },
        (_, k) => `OP=PUT;IND=${half.join(',')};DATA=${valuesOf(start + k).join(',')};`,
      );
      written += batch.reduce((sum, message) => sum + message.length, 0);
      const replies = await client.sendBatch(batch);
      replies.forEach((reply, k) => expect(reply).toBe(batch[k]));
    }
    expect(written).toBeGreaterThan(4.5 * 1024 * 1024);
    // The log was folded into the snapshot on the way: it holds much less than was written.
    expect(statSync(join(dataDir, 'table.log')).size).toBeLessThan(4 * 1024 * 1024);
    const compactions = await waitFor('the compaction in the log', () => {
      const lines = linesWith(first.stderr(), 'log compacted');
      return lines.length > 0 ? lines : undefined;
    });
    for (const compaction of compactions) {
      expect(compaction).toMatchObject({ level: 'info', dir: dataDir, ms: expect.any(Number) });
      expect(compaction.logBytes).toBeGreaterThan(4 * 1024 * 1024);
    }
    const last = valuesOf(rounds - 1);
    half.forEach((i) => acknowledged.set(i, last[i]));

    expect(await first.stop('SIGKILL')).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startApp('server', args);
    const expected = Array.from({ length: SIZE }, (_, i) => acknowledged.get(i) ?? '0');
    expect(await tableValues(second)).toEqual(expected);
    // The same through the protocol, in one GET of every index.
    const reader = await connectTo(second.protocol);
    const all = Array.from({ length: SIZE }, (_, i) => i).join(',');
    expect(await reader.send(`OP=GET;IND=${all};`)).toBe(
      `OP=GET;IND=${all};DATA=${expected.join(',')};`,
    );
  });

  it('keeps every acknowledged PUT when killed while many more are in flight', async () => {
    const dataDir = makeTempDir();
    const args = ['--data-dir', dataDir, '--size', String(SIZE)];
    const server = await startApp('server', args);
    const writers = 4;
    const killAfter = 1200;
    /** Per index, every value sent, in order; and how many of them were acknowledged. */
    const sent = new Map<number, string[]>();
    const ackedCount = new Map<number, number>();
    let acked = 0;
    let killed: Promise<number | null> | undefined;
    const wrongReplies: string[] = [];
    const connections = await Promise.all(
      Array.from({ length: writers }, () => connectTo(server.protocol)),
    );
    await Promise.all(
      connections.map(async (connection: ProtocolConnection, w) => {
        for (let round = 1; !connection.closed && round <= 50; round++) {
          const puts: Promise<unknown>[] = [];
          for (let i = w; i < SIZE && !connection.closed; i += writers) {
            const value = String(round * 100_000 + i);
            const values = sent.get(i) ?? [];
            values.push(value);
            sent.set(i, values);
            const position = values.length;
            puts.push(
              connection.send(`OP=PUT;IND=${i};DATA=${value};`).then(
                (reply) => {
                  if (reply !== `OP=PUT;IND=${i};DATA=${value};`) {
                    wrongReplies.push(`PUT ${i}=${value} got ${reply}`);
                    return;
                  }
                  // Replies on one connection come in order, so this only grows.
                  ackedCount.set(i, position);
                  if (++acked === killAfter) killed = server.stop('SIGKILL');
                },
                // Only the requests cut off by the kill may fail, and only once it was sent.
                (error: Error) => {
                  if (killed === undefined)
                    wrongReplies.push(`PUT ${i}=${value} failed before the kill: ${error.message}`);
                },
              ),
            );
          }
          await Promise.all(puts);
        }
      }),
    );
    expect(wrongReplies).toEqual([]);
    expect(killed).toBeDefined();
    expect(await killed).toBeNull();
    expect(acked).toBeGreaterThanOrEqual(killAfter);
    const totalSent = [...sent.values()].reduce((sum, values) => sum + values.length, 0);
    expect(totalSent).toBeGreaterThan(acked);

    const restarted = await startApp('server', args);
    const values = await tableValues(restarted);
    const wrong: string[] = [];
    for (let i = 0; i < SIZE; i++) {
      const history = sent.get(i) ?? [];
      const count = ackedCount.get(i) ?? 0;
      // The last acknowledged value, or one sent after it (written but not yet acknowledged).
      const allowed = count === 0 ? ['0', ...history] : history.slice(count - 1);
      if (!allowed.includes(values[i]))
        wrong.push(`index ${i}: ${values[i]} not in ${allowed.join('|')}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM answers what it already received, keeps every acknowledged write and exits 0; so does SIGINT', async () => {
    const dataDir = makeTempDir();
    const args = ['--data-dir', dataDir, '--size', String(SIZE)];
    const first = await startApp('server', args);
    const client = await connectTo(first.protocol);
    expect(await client.send('OP=PUT;IND=998,999;DATA=-998,999;')).toBe(
      'OP=PUT;IND=998,999;DATA=-998,999;',
    );
    // A burst is in flight when SIGTERM comes: the server is working on it once the first reply is back.
    const raw = await RawClient.open(first.protocol);
    raw.write(Array.from({ length: 500 }, (_, i) => `OP=PUT;IND=${i};DATA=${i + 1};\n`).join(''));
    expect(await raw.readLine()).toBe('OP=PUT;IND=0;DATA=1;');
    const exit = first.stop('SIGTERM');
    await Promise.all([raw.whenClosed(), client.whenClosed()]);
    expect(await exit).toBe(0);
    // Every reply that came is whole, in order, and for a request of the burst.
    const replies = ['OP=PUT;IND=0;DATA=1;', ...(await raw.readLines(raw.available))];
    replies.forEach((reply, i) => expect(reply).toBe(`OP=PUT;IND=${i};DATA=${i + 1};`));
    expect(raw.unterminated).toBe('');

    const second = await startApp('server', args);
    const afterTerm = await tableValues(second);
    expect(afterTerm.slice(998)).toEqual(['-998', '999']);
    // Each acknowledged PUT of the burst is there.
    expect(afterTerm.slice(0, replies.length)).toEqual(replies.map((_, i) => String(i + 1)));
    const again = await connectTo(second.protocol);
    expect(await again.send('OP=PUT;IND=0,999;DATA=5,-999;')).toBe('OP=PUT;IND=0,999;DATA=5,-999;');
    expect(await second.stop('SIGINT')).toBe(0);

    const third = await startApp('server', args);
    const afterInt = await tableValues(third);
    expect(afterInt[0]).toBe('5');
    expect(afterInt[999]).toBe('-999');
    expect(afterInt.slice(1, 999)).toEqual(afterTerm.slice(1, 999));
  });
});

describe('a damaged or mismatched data directory is refused at start', () => {
  /** A data directory with a table of 10, written by a real server (three log records), then killed. */
  let seed: string;

  beforeAll(async () => {
    seed = makeTempDir('semicache-seed-');
    const server = await startApp('server', ['--data-dir', seed]);
    const client = await connectTo(server.protocol);
    expect(await client.send('OP=PUT;IND=1;DATA=11;')).toBe('OP=PUT;IND=1;DATA=11;');
    expect(await client.send('OP=PUT;IND=2;DATA=22;')).toBe('OP=PUT;IND=2;DATA=22;');
    expect(await client.send('OP=PUT;IND=3;DATA=33;')).toBe('OP=PUT;IND=3;DATA=33;');
    expect(await server.stop('SIGKILL')).toBeNull();
  });

  const SEEDED = entries('0,11,22,33,0,0,0,0,0,0');

  /** A fresh copy of the seeded data directory. */
  function prepare(): string {
    const dataDir = makeTempDir();
    cpSync(seed, dataDir, { recursive: true });
    return dataDir;
  }

  function files(dataDir: string): { snapshot: string; log: string } {
    return {
      snapshot: readFileSync(join(dataDir, 'table.snapshot'), 'latin1'),
      log: readFileSync(join(dataDir, 'table.log'), 'latin1'),
    };
  }

  interface Refusal {
    /** What was damaged; `files` is the directory's content before the start was attempted. */
    readonly dataDir: string;
    readonly files: { snapshot: string; log: string };
    readonly result: Promise<Exited>;
  }
  const refusals = new Map<string, Refusal>();
  let notADirectory: { path: string; result: Promise<Exited> };

  /** Copies the seed, damages the copy, and starts a server on it at once (all refusals run in parallel). */
  function refuse(name: string, damage: (dataDir: string) => void, size = 10): void {
    const dataDir = prepare();
    damage(dataDir);
    refusals.set(name, {
      dataDir,
      files: files(dataDir),
      result: startExpectingRefusal(dataDir, size),
    });
  }

  /** Records whose checksum is right but whose body no writer produces: damage all the same. */
  const CHECKSUMMED_BAD_RECORDS: readonly (readonly [string, string])[] = [
    ['a value that is not a number', 'P 1=abc'],
    ['an index that is not a number', 'P x=5'],
    ['a value outside the signed 64-bit range', 'P 1=99999999999999999999999'],
  ];

  const SNAPSHOT_DAMAGE: readonly (readonly [string, (text: string) => string])[] = [
    [
      'bytes overwritten inside the JSON',
      (text) => text.slice(0, 10) + '\u0000\u0000XX' + text.slice(14),
    ],
    ['a value changed (checksum mismatch)', (text) => text.replace('["0","0"', '["0","7"')],
    ['truncated to half', (text) => text.slice(0, text.length >> 1)],
  ];

  beforeAll(() => {
    for (const [name, damage] of SNAPSHOT_DAMAGE) {
      refuse(name, (dataDir) => {
        const path = join(dataDir, 'table.snapshot');
        const original = readFileSync(path, 'latin1');
        const broken = damage(original);
        expect(broken).not.toBe(original);
        writeFileSync(path, broken, 'latin1');
      });
    }
    refuse('log line 2', (dataDir) => {
      const path = join(dataDir, 'table.log');
      const lines = readFileSync(path, 'latin1').split('\n');
      expect(lines).toHaveLength(4); // three records and the empty rest after the last newline
      expect(lines[1]).toMatch(/^[0-9a-f]{8} P 2=22$/);
      lines[1] = lines[1].replace('2=22', '2=23');
      writeFileSync(path, lines.join('\n'), 'latin1');
    });
    for (const [name, payload] of CHECKSUMMED_BAD_RECORDS) {
      refuse(name, (dataDir) =>
        appendFileSync(join(dataDir, 'table.log'), logLine(payload), 'latin1'),
      );
    }
    refuse('checksummed snapshot value out of range', (dataDir) => {
      const values = ['0', '99999999999999999999999', '0', '0', '0', '0', '0', '0', '0', '0'];
      const crc = crc32(JSON.stringify(values)).toString(16).padStart(8, '0');
      const snapshot = { format: 'semicache-table/1', size: 10, values, crc };
      writeFileSync(join(dataDir, 'table.snapshot'), JSON.stringify(snapshot), 'latin1');
      writeFileSync(join(dataDir, 'table.log'), '', 'latin1');
    });
    refuse('size 20', () => undefined, 20);
    const path = join(makeTempDir(), 'a-file');
    writeFileSync(path, 'not a directory');
    notADirectory = { path, result: startExpectingRefusal(path) };
  });

  async function expectRefused(name: string, mention: RegExp | string): Promise<Refusal> {
    const refusal = refusals.get(name)!;
    const result = await refusal.result;
    // First, so that a start that should have been refused reads as such.
    expect(result.stdout).not.toContain('ready');
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    if (typeof mention === 'string') expect(result.stderr).toContain(mention);
    else expect(result.stderr).toMatch(mention);
    // Never repaired or replaced by zeros: the files are as the refused start found them.
    expect(files(refusal.dataDir)).toEqual(refusal.files);
    return refusal;
  }

  it.each(SNAPSHOT_DAMAGE.map(([name]) => name))(
    'refuses table.snapshot with %s, naming the file, and leaves it as it was',
    async (name) => {
      const { dataDir } = await expectRefused(name, /damaged|refus/i);
      expect((await refusals.get(name)!.result).stderr).toContain(join(dataDir, 'table.snapshot'));
    },
  );

  it('refuses table.log with a bad checksum line in the middle, naming the file and line', async () => {
    const { dataDir } = await expectRefused('log line 2', /line 2/);
    expect((await refusals.get('log line 2')!.result).stderr).toContain(join(dataDir, 'table.log'));
  });

  it.each(CHECKSUMMED_BAD_RECORDS.map(([name]) => name))(
    'refuses a table.log record with a valid checksum but %s, naming the file and line',
    async (name) => {
      const { dataDir } = await expectRefused(name, /line 4/);
      expect((await refusals.get(name)!.result).stderr).toContain(join(dataDir, 'table.log'));
    },
  );

  it('refuses a table.snapshot with a valid checksum but a value outside the signed 64-bit range', async () => {
    const name = 'checksummed snapshot value out of range';
    const { dataDir } = await expectRefused(name, /damaged|refus/i);
    expect((await refusals.get(name)!.result).stderr).toContain(join(dataDir, 'table.snapshot'));
  });

  it('refuses a --size different from the stored table, saying which size it holds', async () => {
    const { dataDir } = await expectRefused('size 20', /10 entries/);
    const { stderr } = await refusals.get('size 20')!.result;
    expect(stderr).toContain(join(dataDir, 'table.snapshot'));
    expect(stderr).toMatch(/--size/);

    // The right size still starts, with the data.
    const server = await startApp('server', ['--data-dir', dataDir, '--size', '10']);
    expect(await tableValues(server)).toEqual(SEEDED);
  });

  it('refuses a --data-dir that is a file, naming it', async () => {
    const { path, result: running } = notADirectory;
    const result = await running;
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain(path);
    expect(readFileSync(path, 'utf8')).toBe('not a directory');
  });

  it.each([
    ['a whole record without its newline', (line: string) => line, true],
    ['a record cut in the middle', (line: string) => line.slice(0, 12), false],
  ])(
    'drops an unfinished last line of table.log (%s) and starts',
    async (_name, cut, crashAgain) => {
      const dataDir = prepare();
      const path = join(dataDir, 'table.log');
      const log = readFileSync(path, 'latin1');
      expect(log.endsWith('\n')).toBe(true);
      expect(log.split('\n')[0]).toMatch(/^[0-9a-f]{8} P 1=11$/);
      // A record of PUT 1=999 in the log's own format, as a crash while appending it leaves it.
      const payload = 'P 1=999';
      appendFileSync(path, cut(logLine(payload).slice(0, -1)), 'latin1');

      const server = await startApp('server', ['--data-dir', dataDir]);
      expect(await tableValues(server)).toEqual(SEEDED);
      if (!crashAgain) return;
      // It is writable afterwards, and what is written now (a CLR included) survives another crash.
      const client = await connectTo(server.protocol);
      expect(await client.send('OP=PUT;IND=4;DATA=44;')).toBe('OP=PUT;IND=4;DATA=44;');
      expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
      expect(await client.send('OP=PUT;IND=5,6;DATA=55,66;')).toBe('OP=PUT;IND=5,6;DATA=55,66;');
      expect(await server.stop('SIGKILL')).toBeNull();
      const again = await startApp('server', ['--data-dir', dataDir]);
      expect(await tableValues(again)).toEqual(entries('0,0,0,0,0,55,66,0,0,0'));
    },
  );
});
