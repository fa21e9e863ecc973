// The connection stays usable after errors, many connections at once, and the listener's
// limits (--max-connections, --idle-timeout-ms), against the real server process.
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { sampleValue, scrape } from '../../../test/support/metrics';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';

jest.setTimeout(60_000);

afterEach(() => {
  closeAllConnections();
  closeAllRawClients();
});
afterAll(() => stopAll());

async function openConnections(server: RunningApp): Promise<number | undefined> {
  return sampleValue((await scrape(server.admin)).samples, 'semicache_connections_open');
}

describe('a connection stays usable after errors', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory']);
  });

  it('keeps serving one line client through a long run of alternating errors and good requests', async () => {
    const client = await connectTo(server.protocol);
    expect(await client.send('OP=PUT;IND=5;DATA=0;')).toBe('OP=PUT;IND=5;DATA=0;');
    for (let n = 1; n <= 50; n++) {
      expect(await client.send(`OP=PUT;IND=5,${10 + n};DATA=1,1;`)).toMatch(
        /^OP=ERR;CODE=BAD_INDEX;/,
      );
      expect(await client.send('nonsense')).toMatch(/^OP=ERR;CODE=BAD_SYNTAX;/);
      expect(await client.send(`OP=PUT;IND=5;DATA=${n};`)).toBe(`OP=PUT;IND=5;DATA=${n};`);
      expect(await client.send('OP=ADD;IND=5,5;')).toBe(`OP=ADD;IND=5,5;DATA=${2 * n};`);
    }
    expect(client.closed).toBe(false);
  });

  it("does not let one connection's errors affect another connection", async () => {
    const noisy = await RawClient.open(server.protocol);
    const quiet = await connectTo(server.protocol);
    noisy.write(
      Buffer.concat([
        Buffer.from([0xff, 0x00, 0x0a]),
        Buffer.from('OP=BOOM;\n'),
        Buffer.from('x'.repeat(70_000) + '\n'),
      ]),
    );
    expect(await quiet.send('OP=PUT;IND=6;DATA=66;')).toBe('OP=PUT;IND=6;DATA=66;');
    expect(await noisy.readLines(3)).toEqual([
      expect.stringMatching(/^OP=ERR;CODE=BAD_SYNTAX;/),
      expect.stringMatching(/^OP=ERR;CODE=UNKNOWN_OP;/),
      expect.stringMatching(/^OP=ERR;CODE=TOO_LONG;/),
    ]);
    expect(await noisy.request('OP=GET;IND=6;')).toBe('OP=GET;IND=6;DATA=66;');
    expect(await quiet.send('OP=GET;IND=6;')).toBe('OP=GET;IND=6;DATA=66;');
  });
});

describe('--max-connections 2', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory', '--max-connections', '2']);
  });
  beforeEach(async () => {
    // The previous test's connections must be gone on the server side too, or they hold slots.
    await waitFor('no open connections', async () =>
      (await openConnections(server)) === 0 ? true : undefined,
    );
  });

  it('answers a third connection with one BUSY error and closes it, while the first two are served', async () => {
    const first = await connectTo(server.protocol);
    const second = await connectTo(server.protocol);
    // A reply on each proves the server has accepted both before the third arrives.
    expect(await first.send('OP=PUT;IND=1;DATA=1;')).toBe('OP=PUT;IND=1;DATA=1;');
    expect(await second.send('OP=PUT;IND=2;DATA=2;')).toBe('OP=PUT;IND=2;DATA=2;');

    const third = await RawClient.open(server.protocol);
    expect(await third.readLine()).toBe('OP=ERR;CODE=BUSY;MSG=too many connections (2);');
    await third.whenClosed();
    expect(third.closed).toBe(true);
    expect(third.unterminated).toBe('');

    expect(await first.send('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=1,2;');
    expect(await second.send('OP=ADD;IND=1,2;')).toBe('OP=ADD;IND=1,2;DATA=3;');
    const metrics = (await scrape(server.admin)).samples;
    expect(sampleValue(metrics, 'semicache_connections_open')).toBe(2);
    expect(sampleValue(metrics, 'semicache_protocol_errors_total', { code: 'BUSY' })).toBe(1);

    // A freed slot is usable again.
    first.close();
    await waitFor('the server to see the first connection closed', async () =>
      (await openConnections(server)) === 1 ? true : undefined,
    );
    const fourth = await connectTo(server.protocol);
    expect(await fourth.send('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=1,2;');
    expect(await second.send('OP=GET;IND=2;')).toBe('OP=GET;IND=2;DATA=2;');
  });

  it('answers BUSY even to a client that sends a request straight away', async () => {
    const first = await connectTo(server.protocol);
    const second = await connectTo(server.protocol);
    expect(await first.send('OP=GET;IND=1;')).toMatch(/^OP=GET;IND=1;DATA=/);
    expect(await second.send('OP=GET;IND=1;')).toMatch(/^OP=GET;IND=1;DATA=/);
    const third = await RawClient.open(server.protocol);
    third.write('OP=GET;IND=1;\n');
    expect(await third.readLine()).toBe('OP=ERR;CODE=BUSY;MSG=too many connections (2);');
    await third.whenClosed();
    expect(third.available).toBe(0);
  });
});

describe('--idle-timeout-ms 300', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory', '--idle-timeout-ms', '300']);
  });

  it('closes a silent connection after the idle timeout and keeps serving new ones', async () => {
    const raw = await RawClient.open(server.protocol);
    // Measured from before the last request: the server's last activity on the socket is later.
    const before = Date.now();
    expect(await raw.request('OP=PUT;IND=3;DATA=3;')).toBe('OP=PUT;IND=3;DATA=3;');
    await raw.whenClosed();
    expect(Date.now() - before).toBeGreaterThanOrEqual(290);
    const next = await connectTo(server.protocol);
    expect(await next.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=3;');
  });
});
