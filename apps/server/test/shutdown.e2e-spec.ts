// A graceful shutdown (SIGTERM) of the real server while clients have sent input without a
// terminator: it is read on until the bare-message pause, then answered, never dropped.
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

afterEach(async () => {
  closeAllConnections();
  closeAllRawClients();
  await stopAll();
});
afterAll(() => removeTempDirs());

describe('SIGTERM with input left unterminated', () => {
  it('reads on until the bare-message pause, then answers each client: a whole request, the rest of one still arriving, the front of one', async () => {
    const dataDir = makeTempDir();
    // A long pause, so that SIGTERM comes while each client's unterminated input still waits for
    // it, and the rest of one message is sent within it.
    const args = ['--data-dir', dataDir, '--size', '20', '--bare-message-delay-ms', '3000'];
    const server = await startApp('server', [...args, '--shutdown-timeout-ms', '20000']);
    // Each first message is terminated: its reply shows the unterminated input written with it
    // has arrived.
    const whole = await RawClient.open(server.protocol);
    whole.write('OP=PUT;IND=5;DATA=50;\nOP=GET;IND=5');
    const cut = await RawClient.open(server.protocol);
    cut.write('OP=PUT;IND=6;DATA=60;\nOP=PUT;DATA=5;IND=1');
    const front = await RawClient.open(server.protocol);
    front.write('OP=PUT;IND=7;DATA=70;\nOP=PUT;IND=4;DATA=');
    expect(await whole.readLine()).toBe('OP=PUT;IND=5;DATA=50;');
    expect(await cut.readLine()).toBe('OP=PUT;IND=6;DATA=60;');
    expect(await front.readLine()).toBe('OP=PUT;IND=7;DATA=70;');

    const exit = server.stop('SIGTERM');
    // A refused connection shows the shutdown has begun; only then comes the rest of `IND=12`.
    await waitFor('the server to stop listening', () =>
      RawClient.open(server.protocol, 1000).then(
        (probe) => probe.close(),
        () => true,
      ),
    );
    cut.write('2;\n');
    expect(await cut.readLine()).toBe('OP=PUT;IND=12;DATA=5;');
    expect(await whole.readLine()).toBe('OP=GET;IND=5;DATA=50;');
    expect(await front.readLine()).toBe('OP=ERR;CODE=BAD_SYNTAX;MSG=DATA is empty;');
    await Promise.all([whole, cut, front].map((client) => client.whenClosed()));
    expect([whole, cut, front].map((client) => client.unterminated)).toEqual(['', '', '']);
    expect(await exit).toBe(0);

    // Index 1 was never written: the message was `IND=12`.
    const again = await connectTo((await startApp('server', args)).protocol);
    expect(await again.send('OP=GET;IND=1,12,4,5,6,7;')).toBe(
      'OP=GET;IND=1,12,4,5,6,7;DATA=0,5,0,50,60,70;',
    );
  });
});
