// Issue 5: the built CLI's prompt (started with no command) driven through a pipe, one
// command a line, against a real server behind a real proxy.
import { tableValues } from '../../../test/support/admin';
import { connectTo } from '../../../test/support/line-client';
import { freePort } from '../../../test/support/ports';
import { lines, runCli, target, useStack } from './support/cli';

jest.setTimeout(60_000);

const stack = useStack();

/** Starts the prompt against the proxy with `input` (lines) piped to it. */
const prompt = (input: string[], ...args: string[]) =>
  runCli([...target(stack.proxy), ...args], { input: input.map((line) => line + '\n').join('') });

// Each test starts from a cleared table and an empty cache (sent directly, not through the CLI).
beforeEach(async () => {
  const control = await connectTo(stack.proxy.protocol);
  expect(await control.send('OP=CLR;')).toBe('OP=CLR;');
  control.close();
});

describe('the prompt through a pipe', () => {
  it('runs each line, shows every output and the typo suggestion, and stops at quit', async () => {
    const run = await prompt([
      'put 1=5',
      'get 1',
      'put 3=4',
      'gte 2',
      'raw OP=ADD;IND=1,3;',
      'help',
      'quit',
      'put 9=9', // after quit: must not run
    ]);
    const out = run.stdout;
    // In input order: the put, the get's table, the second put, the raw reply, then help.
    const stored1 = out.indexOf('stored 1=5\n');
    const table = out.search(/^\s*index\s+value\n\s*1\s+5\n/m);
    const stored3 = out.indexOf('stored 3=4\n');
    const raw = out.indexOf('OP=ADD;IND=1,3;DATA=9;\n');
    const help = out.search(/^\s+get <index\.\.\.>/m);
    const positions = { stored1, table, stored3, raw, help };
    expect(Object.values(positions)).not.toContain(-1);
    expect(Object.values(positions)).toEqual(Object.values(positions).sort((a, b) => a - b));
    for (const command of ['put', 'add', 'clr', 'raw', 'inspect']) {
      expect(out).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    // The typo: named on stderr with the nearest command suggested (the exact form: next test).
    expect(run.stderr).toMatch(/unknown command '?gte'?/);
    expect(run.stderr).toMatch(/did you mean '?get'?/i);
    // The line after quit was not run; the put before it was.
    const values = await tableValues(stack.server);
    expect(values[9]).toBe('0');
    expect(values[3]).toBe('4');
    // A session in which a command failed (the typo) exits non-zero.
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
  });

  it('a typo gets the same one-line message as in one-shot use, and the session goes on', async () => {
    const oneShot = await runCli([...target(stack.proxy), 'gte', '2']);
    expect(oneShot.code).toBe(2);
    const run = await prompt(['gte 2', 'get 2']);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual(lines(oneShot.stderr));
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/unknown command 'gte'/);
    expect(run.stderr).toMatch(/did you mean 'get'/);
    expect(run.stdout).toMatch(/^\s*2\s+0$/m);
  });

  it('a session where every command succeeds exits 0; the end of input ends it', async () => {
    const run = await prompt(['put 2=7', '', 'add 2 2', 'clr', 'get 2', 'help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('stored 2=7\n');
    expect(run.stdout).toContain('sum of 2 + 2 = 14\n');
    expect(run.stdout).toMatch(/^\s*2\s+0$/m);
  });

  it('an error reply does not end the session; its status is 1', async () => {
    const run = await prompt(['put 2=20', 'get 12', 'get 2']);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/BAD_INDEX/);
    // The get after the error was served.
    expect(run.stdout).toMatch(/^\s*2\s+20$/m);
  });

  it('raw with an error reply prints it once, on stdout; the session goes on with status 1', async () => {
    const run = await prompt(['raw OP=GET;IND=12;', 'raw OP=GET;IND=2;']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^OP=ERR;CODE=BAD_INDEX;MSG=[^;]*12[^;]*;$/),
      expect.stringMatching(/^OP=GET;IND=2;DATA=-?\d+;$/),
    ]);
  });

  it('a usage error gives status 2 and the session goes on', async () => {
    const run = await prompt(['put 1=x', 'put 1=11', 'get 1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/BAD_DATA/);
    expect(run.stdout).toContain('stored 1=11\n');
    expect(run.stdout).toMatch(/^\s*1\s+11$/m);
  });

  it('--json applies to every line of the prompt', async () => {
    const run = await prompt(['put 1=3 2=4', 'get 1 2', 'add 1 2'], '--json');
    expect(run.code).toBe(0);
    expect(lines(run.stdout).map((line) => JSON.parse(line))).toEqual([
      { op: 'PUT', indices: [1, 2], values: ['3', '4'] },
      { op: 'GET', indices: [1, 2], values: ['3', '4'] },
      { op: 'ADD', indices: [1, 2], sum: '7' },
    ]);
  });

  it('a refused connection in the prompt exits 3 with a clear message', async () => {
    const port = await freePort();
    const run = await runCli(['--port', String(port)], { input: 'get 1\n' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/connection refused/);
  });
});
