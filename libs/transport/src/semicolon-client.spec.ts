import { Logger } from '@nestjs/common';
import type { Request } from '@semicache/protocol';
import { type AddressInfo, createServer } from 'node:net';
import { type Script, ScriptedPeer } from '../../../test/support/scripted-peer';
import { SemicolonClient, type SemicolonClientOptions, UpstreamError } from './semicolon-client';

let peer: ScriptedPeer | undefined;
let client: SemicolonClient | undefined;

/** A client connected to a peer that answers with `script`. */
async function connectTo(
  script: Script,
  options: Partial<SemicolonClientOptions> = {},
): Promise<SemicolonClient> {
  peer = await ScriptedPeer.start(script);
  client = new SemicolonClient({
    ...peer.endpoint,
    requestTimeoutMs: 5000,
    connectTimeoutMs: 1000,
    maxReplyLength: 1024,
    // No reconnection while a test looks at what happened to the first connection.
    reconnectMinMs: 60_000,
    reconnectMaxMs: 60_000,
    ...options,
  });
  await client.connect();
  expect(client.isUp).toBe(true);
  return client;
}

// The client logs its connections through Nest's Logger (upstream-log.spec.ts reads those lines).
beforeAll(() => Logger.overrideLogger(false));

afterEach(async () => {
  client?.close();
  await peer?.close();
  client = undefined;
  peer = undefined;
});

/** Replies that parse, with the request's OP, but answer another request. */
const MISMATCHED: { request: Request; reply: string; why: string }[] = [
  {
    request: { op: 'GET', indices: [1, 2, 3] },
    reply: 'OP=GET;IND=1,3;DATA=1,3;',
    why: 'an index missing',
  },
  {
    request: { op: 'GET', indices: [1, 2] },
    reply: 'OP=GET;IND=2,1;DATA=2,1;',
    why: 'the indices in another order',
  },
  {
    request: { op: 'GET', indices: [1] },
    reply: 'OP=GET;IND=1,1;DATA=5,5;',
    why: 'an index too many',
  },
  {
    request: { op: 'PUT', indices: [1], values: [5n] },
    reply: 'OP=PUT;IND=1;DATA=6;',
    why: 'another value echoed',
  },
  {
    request: { op: 'PUT', indices: [1, 2], values: [5n, 6n] },
    reply: 'OP=PUT;IND=1,3;DATA=5,6;',
    why: 'another index echoed',
  },
  {
    request: { op: 'ADD', indices: [1, 2] },
    reply: 'OP=ADD;IND=1;DATA=3;',
    why: 'the sum of other indices',
  },
  { request: { op: 'CLR' }, reply: 'OP=GET;IND=1;DATA=1;', why: 'another OP' },
];

describe('SemicolonClient: a reply that does not answer the request', () => {
  it.each(MISMATCHED)('$request.op with $why is an upstream protocol error', async (example) => {
    const upstream = await connectTo(() => example.reply);
    const failed = upstream.request(example.request);
    await expect(failed).rejects.toBeInstanceOf(UpstreamError);
    await expect(failed).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      wasSent: true,
      message: expect.stringContaining('sent an invalid reply'),
    });
    // Replies are matched by position: the connection is dropped, not trusted again.
    await expect(upstream.request({ op: 'CLR' })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    expect(peer!.received).toHaveLength(1);
  });

  it('fails the requests pipelined behind it, as sent', async () => {
    const upstream = await connectTo((line) =>
      line === 'OP=GET;IND=1;' ? 'OP=GET;IND=2;DATA=2;' : undefined,
    );
    const outcomes = await Promise.allSettled([
      upstream.request({ op: 'GET', indices: [1] }),
      upstream.request({ op: 'PUT', indices: [2], values: [7n] }),
    ]);
    const failure = { code: 'UPSTREAM_UNAVAILABLE', wasSent: true };
    expect(outcomes).toMatchObject([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
  });

  it('accepts replies that answer the request, also in lenient form', async () => {
    const upstream = await connectTo((line) => {
      if (line === 'OP=GET;IND=3,1,3;') return 'op=get; ind=3,1,03; data=30,10,+30';
      if (line === 'OP=PUT;IND=4;DATA=-5;') return 'OP=PUT;DATA=-5;IND=4;';
      if (line === 'OP=ADD;IND=1,2;') return 'OP=ADD;IND=1,2;DATA=3;';
      return line === 'OP=CLR;' ? 'OP=CLR;' : undefined;
    });
    await expect(upstream.request({ op: 'GET', indices: [3, 1, 3] })).resolves.toStrictEqual({
      op: 'GET',
      indices: [3, 1, 3],
      values: [30n, 10n, 30n],
    });
    await expect(
      upstream.request({ op: 'PUT', indices: [4], values: [-5n] }),
    ).resolves.toMatchObject({ op: 'PUT' });
    await expect(upstream.request({ op: 'ADD', indices: [1, 2] })).resolves.toMatchObject({
      sum: 3n,
    });
    await expect(upstream.request({ op: 'CLR' })).resolves.toStrictEqual({ op: 'CLR' });
  });
});

describe('SemicolonClient: a connection that has already failed', () => {
  it('reports a request given to it as not sent', async () => {
    const upstream = await connectTo(() => 'OP=GET;IND=9;DATA=9;');
    // The reply to the first request breaks the connection; the second is given to the client
    // right after, while the socket is still closing.
    const next = upstream
      .request({ op: 'GET', indices: [1] })
      .catch(() => upstream.request({ op: 'PUT', indices: [1], values: [5n] }));
    await expect(next).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', wasSent: false });
    expect(peer!.received).toStrictEqual(['OP=GET;IND=1;']);
  });
});

describe('SemicolonClient: a whole timeout with nothing heard', () => {
  it.each<[string, 'auto' | 'bare', boolean]>([
    ['auto, before any reply: dropped (a server stopped or gone)', 'auto', false],
    ['bare: kept (a one-connection server may be slow)', 'bare', true],
  ])('%s', async (_, framing, kept) => {
    const upstream = await connectTo(() => undefined, { framing, requestTimeoutMs: 100 });
    await expect(upstream.request({ op: 'GET', indices: [1] })).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      wasSent: true,
    });
    if (!kept) await waitUntil(() => !upstream.isUp && peer!.connections === 0);
    expect({ up: upstream.isUp, connections: peer!.connections }).toEqual({
      up: kept,
      connections: kept ? 1 : 0,
    });
  });
});

describe('SemicolonClient with --upstream-framing bare', () => {
  it('an invalid reply fails its request, and the connection is kept for the next', async () => {
    // A bare peer: one message per read, replies without a terminator; IND=1 gets a wrong one.
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        const message = chunk.toString('latin1');
        socket.write(message === 'OP=GET;IND=1;' ? 'OP=GET;IND=9;DATA=9;' : `${message}DATA=4;`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    client = new SemicolonClient({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      requestTimeoutMs: 5000,
      connectTimeoutMs: 1000,
      maxReplyLength: 1024,
      reconnectMinMs: 60_000,
      reconnectMaxMs: 60_000,
      framing: 'bare',
    });
    try {
      await client.connect();
      await accepted;
      await expect(client.request({ op: 'GET', indices: [1] })).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        message: expect.stringContaining('sent an invalid reply'),
      });
      await expect(client.request({ op: 'GET', indices: [2] })).resolves.toStrictEqual({
        op: 'GET',
        indices: [2],
        values: [4n],
      });
      expect(client.isUp).toBe(true);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** Resolves once `check` holds, testing it after each turn of the event loop. */
async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
