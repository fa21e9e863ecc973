// Issue 5: the built CLI when the connection fails (refused, or a peer that never
// answers: exit status 3 and one clear line on stderr), and its --help.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../test/support/ports';
import { ROOT } from '../../../test/support/processes';
import { killAllCli, lines, runCli, type SilentServer, silentServer } from './support/cli';

jest.setTimeout(30_000);

let peer: SilentServer | undefined;

afterEach(async () => {
  await killAllCli();
  await peer?.close();
  peer = undefined;
});

describe('a refused connection', () => {
  it('exits 3 with one line saying which address refused', async () => {
    const port = await freePort();
    const run = await runCli(['--host', '127.0.0.1', '--port', String(port), 'get', '1']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
    expect(run.stderr).toMatch(/connection refused/);
  });

  it('exits 3 for --json and raw too', async () => {
    const port = String(await freePort());
    for (const args of [
      ['--json', 'put', '1=2'],
      ['raw', 'OP=CLR;'],
    ]) {
      const run = await runCli(['--port', port, ...args]);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 3, stdout: '' });
      expect(run.stderr).toMatch(/connection refused/);
    }
  });
});

describe('a peer that accepts and never answers', () => {
  it('--timeout 300: sends the request, gives up after the --timeout (not the 5 s default) and exits 3', async () => {
    peer = await silentServer();
    const run = await runCli(['--port', String(peer.port), '--timeout', '300', 'get', '1']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(`127.0.0.1:${peer.port}`);
    // The first request of a connection, with the default --framing auto: ended by CRLF.
    expect(peer.received()).toBe('OP=GET;IND=1;\r\n');
    expect(run.elapsedMs).toBeLessThan(4000);
  });

  it('--timeout 300: the one line says no reply came within 300 ms', async () => {
    peer = await silentServer();
    const run = await runCli(['--port', String(peer.port), '--timeout', '300', 'raw', 'OP=CLR;']);
    expect(run.code).toBe(3);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/no reply/);
    expect(run.stderr).toMatch(/\b300 ms\b/);
  });
});

describe('--help', () => {
  it('lists every command and the connection options, exit 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const command of ['get', 'put', 'add', 'clr', 'raw', 'inspect']) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    for (const option of [
      '--host',
      '--port',
      '--timeout',
      '--framing',
      '--json',
      '--server-admin',
      '--proxy-admin',
    ]) {
      expect(run.stdout).toContain(option);
    }
  });

  it('help get describes the get command, exit 0', async () => {
    const run = await runCli(['help', 'get']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/get \[options\] <index\.\.\.>/);
  });

  it("the package's `semicache` bin entry is the built CLI", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    const bin = pkg.bin.semicache;
    const entry = join(ROOT, bin);
    expect({ bin, exists: existsSync(entry) }).toEqual({ bin, exists: true });
    const run = await runCli(['--help'], { entry });
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('inspect') });
  });
});
