/**
 * The proxy in front of a scripted upstream (test/support/scripted-peer.ts) that answers what
 * a real server never would.
 */
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { startApp, stopAll, waitFor } from '../../../test/support/processes';
import { ScriptedPeer } from '../../../test/support/scripted-peer';
import { cachedPairs, health } from './support/stack';

jest.setTimeout(60_000);

let peer: ScriptedPeer | undefined;

afterEach(async () => {
  closeAllConnections();
  await stopAll();
  await peer?.close();
  peer = undefined;
});

describe('an upstream reply that does not answer the request', () => {
  it('is an UPSTREAM_UNAVAILABLE error, never a made-up value; the proxy reconnects', async () => {
    peer = await ScriptedPeer.start((line) => {
      if (line === 'OP=GET;IND=1,2,3;') return 'OP=GET;IND=1,3;DATA=1,3;';
      return line === 'OP=GET;IND=4;' ? 'OP=GET;IND=4;DATA=44;' : undefined;
    });
    const proxy = await startApp('proxy', ['--upstream', peer.target]);
    const client = await connectTo(proxy.protocol);

    expect(await client.send('OP=GET;IND=1,2,3;')).toMatch(
      /^OP=ERR;CODE=UPSTREAM_UNAVAILABLE;MSG=upstream 127\.0\.0\.1:\d+ sent an invalid reply: GET reply for IND=1,3 to IND=1,2,3;$/,
    );
    expect(await cachedPairs(proxy)).toEqual([]);

    // The proxy no longer trusts that connection's reply order: it drops it and makes a new one.
    await waitFor('a new connection to the upstream', async () =>
      peer!.accepted === 2 && (await health(proxy)).status === 200 ? true : undefined,
    );
    expect(await client.send('OP=GET;IND=4;')).toBe('OP=GET;IND=4;DATA=44;');
  });
});
