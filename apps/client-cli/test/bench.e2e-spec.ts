// `semicache bench` against a real proxy and server (in memory, the default 10 entries): the
// figures it prints, and what it says when most requests fail because the keys reach past the
// table.
import { runCli, target, useStack } from './support/cli';

jest.setTimeout(60_000);

const stack = useStack();

const bench = (...args: string[]) =>
  runCli([...target(stack.proxy, stack), 'bench', '-c', '2', '-n', '400', ...args]);

describe('bench', () => {
  it('within the table: every request answered, exit 0, and the hit ratio from /stats', async () => {
    const run = await bench('--keys', '10');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^requests 400 in [\d.]+ s .* errors 0$/m);
    expect(run.stdout).toMatch(/^latency ms {2}p50 [\d.]+ {2}p90 /m);
    expect(run.stdout).toMatch(/^cache hit ratio [\d.]+%$/m);
    expect(run.stderr).not.toMatch(/BAD_INDEX/);
  });

  it('--json: one object, with the error replies counted by code', async () => {
    const run = await bench('--json', '--keys', '1000');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as {
      requests: number;
      errors: number;
      errorCodes: object;
    };
    expect(result.requests).toBe(400);
    expect(result.errors).toBeGreaterThan(200);
    expect(result.errorCodes).toEqual({ BAD_INDEX: result.errors });
  });

  it('keys past the table: says that most requests got BAD_INDEX, and to use --keys or --size', async () => {
    const run = await bench('--keys', '1000');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/most requests .*BAD_INDEX/);
    expect(run.stderr).toMatch(/--keys 1000/);
    expect(run.stderr).toMatch(/--size 1000/);
  });

  it('a few BAD_INDEX replies (11 keys on a 10-entry table) are counted but get no hint', async () => {
    const run = await bench('--keys', '11');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/request\(s\) got an error reply/);
    expect(run.stderr).not.toMatch(/most requests/);
  });
});
