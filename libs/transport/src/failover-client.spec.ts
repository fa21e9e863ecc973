import type { Request } from '@semicache/protocol';
import { freePort } from '../../../test/support/ports';
import { type Script, ScriptedPeer } from '../../../test/support/scripted-peer';
import { FailoverClient } from './failover-client';
import { UpstreamError } from './semicolon-client';

const peers: ScriptedPeer[] = [];
let client: FailoverClient | undefined;

/** A server that answers every GET with each index's own number as its value, except `silent`. */
const echo =
  (silent?: string): Script =>
  (line) => {
    if (line === silent) return undefined;
    const indices = /^OP=GET;IND=([\d,]+);$/.exec(line)?.[1];
    return indices === undefined
      ? 'OP=ERR;CODE=INTERNAL;MSG=x;'
      : `OP=GET;IND=${indices};DATA=${indices};`;
  };

async function peer(script: Script, port?: number): Promise<ScriptedPeer> {
  const started = await ScriptedPeer.start(script, port);
  peers.push(started);
  return started;
}

function failover(targets: { host: string; port: number }[], requestTimeoutMs = 5000) {
  client = new FailoverClient({
    targets,
    requestTimeoutMs,
    connectTimeoutMs: 1000,
    maxReplyLength: 1024,
    reconnectMinMs: 10,
    reconnectMaxMs: 50,
  });
  return client;
}

const get = (index: number): Request => ({ op: 'GET', indices: [index] });

/** Polls until `check` holds (no fixed sleeps). */
async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !check();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(async () => {
  client?.close();
  client = undefined;
  await Promise.all(peers.splice(0).map((each) => each.close()));
});

describe('FailoverClient', () => {
  it('uses the first server that is up, fails over to the next when it goes, and fails fast when none is up', async () => {
    const first = await peer(echo());
    const second = await peer(echo());
    const upstream = failover([first.endpoint, second.endpoint]);
    await upstream.connect();
    expect(upstream.target).toBe(first.target);
    await upstream.request(get(1));
    expect([first.received, second.received]).toEqual([['OP=GET;IND=1;'], []]);

    await first.close();
    await until(() => upstream.target === second.target);
    await expect(upstream.request(get(2))).resolves.toEqual({
      op: 'GET',
      indices: [2],
      values: [2n],
    });
    expect(second.received).toEqual(['OP=GET;IND=2;']);
    expect(upstream.targets).toEqual([
      { target: first.target, up: false },
      { target: second.target, up: true },
    ]);

    await second.close();
    await until(() => !upstream.isUp);
    const refused = upstream.request(get(3));
    await expect(refused).rejects.toBeInstanceOf(UpstreamError);
    await expect(refused).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: `no upstream is reachable (${first.target}, ${second.target})`,
      wasSent: false,
    });
  });

  it('goes back to the first server when it is up again, once the requests in flight on the other are answered', async () => {
    const firstPort = await freePort();
    const second = await peer(echo('OP=GET;IND=9;'));
    const upstream = failover([{ host: '127.0.0.1', port: firstPort }, second.endpoint], 300);
    await upstream.connect();
    expect(upstream.target).toBe(second.target);

    // A request the second server never answers is in flight when the first comes up.
    const unanswered = upstream.request(get(9));
    const first = await peer(echo(), firstPort);
    await until(() => upstream.targets[0].up);
    const next = upstream.request(get(1));
    expect(upstream.target).toBe(first.target);
    // It waits for the request in flight on the second (here until it times out).
    const settled: string[] = [];
    unanswered.catch(() => settled.push('the request in flight on the second'));
    void next.then(() => settled.push('the next request'));
    await expect(unanswered).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    await expect(next).resolves.toEqual({ op: 'GET', indices: [1], values: [1n] });
    expect(settled).toEqual(['the request in flight on the second', 'the next request']);
    expect(first.received).toEqual(['OP=GET;IND=1;']);
    expect(second.received).toEqual(['OP=GET;IND=9;']);
  });
});
