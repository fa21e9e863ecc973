// Issue 5: the built CLI's one-shot commands run as a subprocess against a real server
// (in memory, size 10) behind a real proxy: human output, --json output, exit statuses, error
// replies (status 1) and local usage errors (status 2, nothing sent).
import { ProxyAdmin } from '@semicache/client';
import { tableValues } from '../../../test/support/admin';
import { connectTo } from '../../../test/support/line-client';
import { cells, lines, runCli, silentServer, target, useStack } from './support/cli';

jest.setTimeout(60_000);

const INT64_MAX = '9223372036854775807';

const stack = useStack();

/** Runs the CLI against the proxy. */
const cli = (...args: string[]) => runCli([...target(stack.proxy), ...args]);

/** The server's entry `index`, read from its admin API (not through the CLI). */
async function serverValue(index: number): Promise<string> {
  return (await tableValues(stack.server))[index];
}

/** Sends `message` to the proxy directly, not through the CLI (to set a test up), and returns the reply. */
async function direct(message: string): Promise<string> {
  const connection = await connectTo(stack.proxy.protocol);
  const reply = await connection.send(message);
  connection.close();
  return reply;
}

// Each test starts from a cleared table and an empty cache.
beforeEach(async () => {
  expect(await direct('OP=CLR;')).toBe('OP=CLR;');
});

describe('human output', () => {
  it('put 1=10 2=20 prints "stored 1=10 2=20", exits 0 and writes through to the server', async () => {
    const run = await cli('put', '1=10', '2=20');
    expect(run).toEqual(
      expect.objectContaining({ code: 0, stdout: 'stored 1=10 2=20\n', stderr: '' }),
    );
    expect(await serverValue(1)).toBe('10');
    expect(await serverValue(2)).toBe('20');
  });

  it('get 1 2 3 prints a small index/value table in the order asked', async () => {
    expect(await direct('OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
    const run = await cli('get', '1', '2', '3');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(cells(run.stdout)).toEqual([
      ['index', 'value'],
      ['1', '10'],
      ['2', '20'],
      ['3', '0'],
    ]);
    // Right-aligned columns: every line of the table is as wide as the header.
    const widths = new Set(lines(run.stdout).map((line) => line.length));
    expect(widths.size).toBe(1);

    const reordered = await cli('get', '2', '1', '2');
    expect(cells(reordered.stdout)).toEqual([
      ['index', 'value'],
      ['2', '20'],
      ['1', '10'],
      ['2', '20'],
    ]);
  });

  it('add 1 2 prints "sum of 1 + 2 = 30"', async () => {
    expect(await direct('OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
    const run = await cli('add', '1', '2');
    expect(run).toEqual(
      expect.objectContaining({ code: 0, stdout: 'sum of 1 + 2 = 30\n', stderr: '' }),
    );
  });

  it('handles negative values and negative sums', async () => {
    expect((await cli('put', '4=-7', '5=3')).stdout).toBe('stored 4=-7 5=3\n');
    expect((await cli('add', '4', '5')).stdout).toBe('sum of 4 + 5 = -4\n');
  });

  it('clr clears the table and the cache, says so and exits 0', async () => {
    expect(await direct('OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
    const run = await cli('clr');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toHaveLength(1);
    expect(run.stdout).toMatch(/clear/i);
    expect(await serverValue(1)).toBe('0');
    expect((await new ProxyAdmin(stack.proxy.admin).cache()).entries).toEqual([]);
    expect(cells((await cli('get', '1', '2')).stdout)).toEqual([
      ['index', 'value'],
      ['1', '0'],
      ['2', '0'],
    ]);
  });

  it("raw 'OP=GET;IND=1;' prints the reply line exactly as received", async () => {
    expect(await direct('OP=PUT;IND=1;DATA=10;')).toBe('OP=PUT;IND=1;DATA=10;');
    const run = await cli('raw', 'OP=GET;IND=1;');
    expect(run).toEqual(
      expect.objectContaining({ code: 0, stdout: 'OP=GET;IND=1;DATA=10;\n', stderr: '' }),
    );
  });

  it('raw sends the message as typed: the lenient form gets the canonical reply', async () => {
    const run = await cli('raw', 'op=put; ind=1,2; data=10,20');
    expect(run).toEqual(
      expect.objectContaining({ code: 0, stdout: 'OP=PUT;IND=1,2;DATA=10,20;\n', stderr: '' }),
    );
    expect((await cli('raw', 'OP=ADD;IND=1,2;')).stdout).toBe('OP=ADD;IND=1,2;DATA=30;\n');
    expect((await cli('raw', 'OP=CLR;')).stdout).toBe('OP=CLR;\n');
  });
});

describe('--json output', () => {
  it('put, get, add and clr print one JSON object each, values as strings', async () => {
    const put = await cli('--json', 'put', '1=10', '2=20');
    expect(put.code).toBe(0);
    expect(lines(put.stdout)).toHaveLength(1);
    expect(JSON.parse(put.stdout)).toEqual({ op: 'PUT', indices: [1, 2], values: ['10', '20'] });

    const get = await cli('--json', 'get', '1', '2', '3');
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({
      op: 'GET',
      indices: [1, 2, 3],
      values: ['10', '20', '0'],
    });

    const add = await cli('--json', 'add', '1', '2');
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toEqual({ op: 'ADD', indices: [1, 2], sum: '30' });

    const clr = await cli('--json', 'clr');
    expect(clr.code).toBe(0);
    expect(JSON.parse(clr.stdout)).toEqual({ op: 'CLR' });
    expect([put, get, add, clr].map((run) => run.stderr)).toEqual(['', '', '', '']);
  });

  it('keeps a 64-bit value exact (a JSON number could not)', async () => {
    expect((await cli('put', `7=${INT64_MAX}`)).code).toBe(0);
    const get = await cli('--json', 'get', '7');
    expect(JSON.parse(get.stdout)).toEqual({ op: 'GET', indices: [7], values: [INT64_MAX] });
  });

  it('an error reply is printed as JSON too, with exit status 1', async () => {
    const run = await cli('--json', 'get', '12');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      op: 'ERR',
      code: 'BAD_INDEX',
      message: expect.stringContaining('12'),
    });
  });
});

describe('an error reply', () => {
  it('get 12 on a size-10 server exits 1 with one line on stderr naming BAD_INDEX', async () => {
    const run = await cli('get', '12');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/BAD_INDEX/);
    expect(run.stderr).toMatch(/\b12\b/);
  });

  it('raw with an error reply prints the reply once, as is, on stdout, and exits 1', async () => {
    const run = await cli('raw', 'OP=GET;IND=12;');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^OP=ERR;CODE=BAD_INDEX;MSG=[^;\n]*12[^;\n]*;\n$/);
    expect(run.stderr).toBe('');
  });

  it('a PUT refused by the server changes nothing', async () => {
    expect(await direct('OP=PUT;IND=1;DATA=10;')).toBe('OP=PUT;IND=1;DATA=10;');
    const run = await cli('put', '1=99', '12=5');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/BAD_INDEX/);
    expect(await serverValue(1)).toBe('10');
  });
});

describe('a local usage error exits 2 and sends nothing', () => {
  it('put 1=x is refused by the CLI with BAD_DATA, and the entry is unchanged', async () => {
    expect(await direct('OP=PUT;IND=1;DATA=10;')).toBe('OP=PUT;IND=1;DATA=10;');
    const run = await cli('put', '1=x');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/BAD_DATA/);
    expect(run.stderr).toMatch(/"x"/);
    expect(await serverValue(1)).toBe('10');
  });

  it('put 1 (no "=") says what the form should be', async () => {
    const run = await cli('put', '1');
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/INDEX=VALUE/);
  });

  it("an unknown command 'gte' suggests 'get'", async () => {
    const run = await cli('gte', '1');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/unknown command 'gte'/);
    expect(run.stderr).toMatch(/did you mean 'get'/);
  });

  it('add with more than 5 indices is refused locally with TOO_MANY', async () => {
    const run = await cli('add', '1', '2', '3', '4', '5', '6');
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/TOO_MANY/);
  });

  it('get with no index exits 2 with one line naming the missing argument', async () => {
    const run = await cli('get');
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/missing required argument/);
  });

  it('a bad --port value exits 2', async () => {
    const run = await runCli(['--port', 'abc', 'get', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--port/);
  });

  it('sends nothing for any of them: a listening peer receives no byte', async () => {
    const peer = await silentServer();
    try {
      for (const args of [
        ['put', '1=x'],
        ['gte', '1'],
        ['add', '1', '2', '3', '4', '5', '6'],
        ['get', 'a'],
      ]) {
        const run = await runCli(['--port', String(peer.port), '--timeout', '2000', ...args]);
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
      }
      expect(peer.received()).toBe('');
    } finally {
      await peer.close();
    }
  });
});
