// A graceful shutdown (SIGTERM) of the real proxy with a request left unterminated: answered
// through its server before the proxy exits, as the server does (apps/server/test/shutdown).
import { startStack, stopAll } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';

jest.setTimeout(60_000);

afterEach(async () => {
  closeAllRawClients();
  await stopAll();
});

describe('a proxy stopped with SIGTERM', () => {
  it('answers a request left without its final ";" and terminator (a miss: through its server) before it exits 0', async () => {
    // A long pause: SIGTERM comes while the bare request still waits for it.
    const { proxy } = await startStack({ proxyArgs: ['--bare-message-delay-ms', '3000'] });
    const raw = await RawClient.open(proxy.protocol);
    raw.write('OP=PUT;IND=4;DATA=44;\nOP=ADD;IND=4,5');
    expect(await raw.readLine()).toBe('OP=PUT;IND=4;DATA=44;');
    const exit = proxy.stop('SIGTERM');
    expect(await raw.readLine()).toBe('OP=ADD;IND=4,5;DATA=44;');
    await raw.whenClosed();
    expect(raw.unterminated).toBe('');
    expect(await exit).toBe(0);
  });
});
