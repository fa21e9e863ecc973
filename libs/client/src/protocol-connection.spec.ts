import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { parseReply } from '@semicache/protocol';
import {
  type ConnectionOptions,
  ConnectionClosedError,
  ProtocolConnection,
  ReplyTimeoutError,
} from './protocol-connection';

/**
 * A local TCP peer that records every line it receives and answers only when the test says so,
 * with whatever bytes the test gives.
 */
interface ScriptedPeer {
  readonly port: number;
  /** Resolves with the peer's side of the next connection. */
  nextSocket(): Promise<Socket>;
}

const servers: Server[] = [];
const peerSockets: Socket[] = [];
const connections: ProtocolConnection[] = [];

async function scriptedPeer(): Promise<ScriptedPeer> {
  const waiting: Array<(socket: Socket) => void> = [];
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    peerSockets.push(socket);
    const take = waiting.shift();
    if (take) take(socket);
    else accepted.push(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    nextSocket: () => {
      const socket = accepted.shift();
      return socket ? Promise.resolve(socket) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** Resolves once `socket` has received `count` lines. */
function linesReceived(socket: Socket, count: number): Promise<string[]> {
  let text = '';
  return new Promise((resolve) => {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\n').slice(0, -1);
      if (lines.length >= count) resolve(lines);
    });
  });
}

async function connected(options: ConnectionOptions = {}) {
  const peer = await scriptedPeer();
  const [connection, socket] = await Promise.all([
    ProtocolConnection.open('127.0.0.1', peer.port, 5000, options),
    peer.nextSocket(),
  ]);
  connections.push(connection);
  return { connection, socket };
}

afterEach(async () => {
  jest.restoreAllMocks();
  for (const connection of connections.splice(0)) connection.close();
  for (const socket of peerSockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

describe('ProtocolConnection', () => {
  it('matches pipelined replies to requests in order, as they arrive', async () => {
    const { connection, socket } = await connected();
    const received = linesReceived(socket, 3);
    const replies = [connection.send('A;'), connection.send('B;'), connection.send('C;')];
    expect(await received).toEqual(['A;', 'B;', 'C;']);
    socket.write('a;\nb');
    expect(await replies[0]).toBe('a;');
    socket.write(';\nc;\n');
    expect(await Promise.all(replies)).toEqual(['a;', 'b;', 'c;']);
    expect(connection.inFlight).toBe(0);
  });

  it('sendBatch writes the batch in one write and resolves with its replies in order', async () => {
    const { connection, socket } = await connected();
    const received = linesReceived(socket, 2);
    const replies = connection.sendBatch(['A;', 'B;']);
    expect(await received).toEqual(['A;', 'B;']);
    socket.write('a;\nb;\n');
    expect(await replies).toEqual(['a;', 'b;']);
  });

  // A request sent after a long quiet spell must not make a live peer look dead: the clock of
  // the last reply starts again when a request is sent with nothing else in flight.
  it.each([
    ['send', (connection: ProtocolConnection) => void connection.send('A;').catch(() => 0)],
    [
      'sendBatch',
      (connection: ProtocolConnection) => void connection.sendBatch(['A;']).catch(() => 0),
    ],
  ])('%s with nothing in flight restarts the last-reply clock', async (_, sendOne) => {
    const { connection } = await connected();
    const later = connection.lastReplyTime + 60_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    sendOne(connection);
    expect(connection.lastReplyTime).toBe(later);
  });

  it('a reply longer than the limit fails the waiting requests as too long, and closes', async () => {
    const { connection, socket } = await connected({ maxReplyLength: 16 });
    const reply = connection.send('A;');
    socket.write(`${'x'.repeat(40)};\n`);
    await expect(reply).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(reply).rejects.toThrow(/longer than 16 bytes/);
    await connection.whenClosed();
    expect(connection.closed).toBe(true);
  });

  it('a reply no request waits for fails the connection as unmatched', async () => {
    const { connection, socket } = await connected();
    socket.write('surprise;\n');
    await connection.whenClosed();
    await expect(connection.send('A;')).rejects.toThrow(/matches no request/);
  });

  it('fails every waiting request when the peer closes', async () => {
    const { connection, socket } = await connected();
    const received = linesReceived(socket, 2);
    const replies = [connection.send('A;'), connection.send('B;')];
    await received;
    socket.destroy();
    for (const reply of replies) await expect(reply).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('open fails when nothing listens', async () => {
    const peer = await scriptedPeer();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await expect(ProtocolConnection.open('127.0.0.1', peer.port, 5000)).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

/** Everything a peer socket receives, as it comes; `until` waits for it to pass a test. */
function recorder(socket: Socket) {
  let text = '';
  let wake: (() => void) | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    wake?.();
  });
  return {
    get text() {
      return text;
    },
    async until(check: (text: string) => boolean): Promise<string> {
      while (!check(text)) await new Promise<void>((resolve) => (wake = resolve));
      return text;
    },
  };
}

/** Runs `write` (the peer writing) and resolves once the bytes have reached the connection. */
function arrivedAt(connection: ProtocolConnection, write: () => void): Promise<void> {
  const arrived = new Promise<void>((resolve) => connection.socket.once('data', () => resolve()));
  write();
  return arrived;
}

/**
 * Exchanges on one connection: each sends `message` and, once the peer has it, the peer writes
 * `reply`; resolves with the reply the connection took.
 */
function exchanges(connection: ProtocolConnection, socket: Socket) {
  const peer = recorder(socket);
  return async (message: string, reply: string): Promise<string> => {
    const expected = peer.text + message;
    const answer = connection.send(message);
    await peer.until((text) => text === expected);
    socket.write(reply);
    return answer;
  };
}

const GET_12 = 'OP=GET;IND=1,2;';
const GET_12_REPLY = { op: 'GET', indices: [1, 2], values: [5n, 6n] };

/** Replies to GET_12 as a peer may write them without being asked for lines. */
const BARE_REPLIES: readonly (readonly [string, string])[] = [
  ['unterminated', 'OP=GET;IND=1,2;DATA=5,6;'],
  ['with an extra field', 'OP=GET;IND=1,2;DATA=5,6;CODE=200;'],
  ['without its final ; (taken at the pause)', 'OP=GET;IND=1,2;DATA=5,6'],
  ['with an echoed CRLF inside', 'OP=GET;IND=1,2;\r\nDATA=5,6;CODE=200;'],
  ['with an echoed CRLF after', 'OP=GET;IND=1,2;DATA=5,6;\r\n'],
  ['ended by a line feed', 'OP=GET;IND=1,2;DATA=5,6;\n'],
  ['in lenient form', 'op=get; ind=1,2; data=5,+6 ;'],
];

describe('ProtocolConnection, bare framing', () => {
  it.each(BARE_REPLIES)(
    'takes a reply %s, in one write and byte by byte, then serves the next request',
    async (_, reply) => {
      for (const bytes of [[reply], [...reply]]) {
        const { connection, socket } = await connected({ framing: 'bare' });
        const peer = recorder(socket);
        const first = connection.send(GET_12);
        const second = connection.send('OP=CLR;');
        // No terminator, and the second request waits for the first reply.
        expect(await peer.until((text) => text.length > 0)).toBe(GET_12);
        for (const part of bytes) socket.write(part);
        expect(parseReply(await first)).toStrictEqual(GET_12_REPLY);
        await peer.until((text) => text === GET_12 + 'OP=CLR;');
        socket.write('OP=CLR;');
        expect({ second: await second, closed: connection.closed }).toEqual({
          second: 'OP=CLR;',
          closed: false,
        });
      }
    },
  );

  it('drops bytes that come while no reply is awaited, and stays open', async () => {
    const { connection, socket } = await connected({ framing: 'bare' });
    const exchange = exchanges(connection, socket);
    expect(await exchange('OP=CLR;', 'OP=CLR;')).toBe('OP=CLR;');
    await arrivedAt(connection, () => socket.write('CODE=200;\r\n'));
    expect(await exchange('OP=GET;IND=4;', 'OP=GET;IND=4;DATA=9;')).toBe('OP=GET;IND=4;DATA=9;');
  });

  it('gives what came to the request after the pause, whole or not, for the caller to judge', async () => {
    const { connection, socket } = await connected({ framing: 'bare', replyPauseMs: 20 });
    expect(await exchanges(connection, socket)('OP=GET;IND=1;', 'OK thanks\r\n')).toBe('OK thanks');
  });

  it('after a timeout keeps the connection, writes the next request and drops the late reply', async () => {
    const { connection, socket } = await connected({ framing: 'bare' });
    const peer = recorder(socket);
    const late = connection.send('OP=GET;IND=1;', 100);
    const next = connection.send('OP=GET;IND=2;', 10_000);
    await expect(late).rejects.toBeInstanceOf(ReplyTimeoutError);
    await expect(late).rejects.toMatchObject({ wasSent: true });
    await peer.until((text) => text === 'OP=GET;IND=1;OP=GET;IND=2;');
    // The late reply and the next one in one read, as a one-connection peer sends them.
    socket.write('OP=GET;IND=1;DATA=10;CODE=200;OP=GET;IND=2;DATA=20;CODE=200;');
    expect(await next).toBe('OP=GET;IND=2;DATA=20;CODE=200;');
    expect(connection.closed).toBe(false);
  });

  it('a late reply that came before the next request was written is not taken for it', async () => {
    const { connection, socket } = await connected({ framing: 'bare' });
    const exchange = exchanges(connection, socket);
    await expect(connection.send('OP=GET;IND=1;', 50)).rejects.toBeInstanceOf(ReplyTimeoutError);
    await arrivedAt(connection, () => socket.write('OP=GET;IND=1;DATA=10;'));
    expect(await exchange('OP=GET;IND=1;', 'OP=GET;IND=1;DATA=11;')).toBe('OP=GET;IND=1;DATA=11;');
  });

  it('a request that times out while waiting its turn was not sent', async () => {
    const { connection, socket } = await connected({ framing: 'bare' });
    const peer = recorder(socket);
    const first = connection.send('OP=GET;IND=1;', 10_000);
    const waiting = connection.send('OP=PUT;IND=1;DATA=5;', 50);
    await expect(waiting).rejects.toMatchObject({ name: 'ReplyTimeoutError', wasSent: false });
    socket.write('OP=GET;IND=1;DATA=0;');
    expect(await first).toBe('OP=GET;IND=1;DATA=0;');
    expect(connection.inFlight).toBe(0);
    expect(peer.text).toBe('OP=GET;IND=1;');
  });
});

describe('ProtocolConnection, auto framing', () => {
  it('sends the first request alone with CRLF; a reply as one line makes it pipeline', async () => {
    const { connection, socket } = await connected({ framing: 'auto' });
    const peer = recorder(socket);
    const replies = [connection.send('OP=CLR;'), connection.send(GET_12), connection.send(GET_12)];
    expect(await peer.until((text) => text.length > 0)).toBe('OP=CLR;\r\n');
    expect(connection.framing).toBe('auto');
    socket.write('OP=CLR;\n');
    // The two that waited go out together, each ended by a line feed.
    await peer.until((text) => text.length > 'OP=CLR;\r\n'.length);
    expect(peer.text).toBe(`OP=CLR;\r\n${GET_12}\n${GET_12}\n`);
    expect(connection.framing).toBe('line');
    socket.write('OP=GET;IND=1,2;DATA=5,6;\nOP=GET;IND=1,2;DATA=7,8;\n');
    expect(await Promise.all(replies)).toEqual([
      'OP=CLR;',
      'OP=GET;IND=1,2;DATA=5,6;',
      'OP=GET;IND=1,2;DATA=7,8;',
    ]);
  });

  it.each(BARE_REPLIES.filter(([, reply]) => !/^[^\r\n]*\n$/.test(reply)))(
    'a first reply %s makes it bare',
    async (_, reply) => {
      const { connection, socket } = await connected({ framing: 'auto' });
      const peer = recorder(socket);
      const first = connection.send(GET_12);
      const second = connection.send('OP=CLR;');
      await peer.until((text) => text.length > 0);
      socket.write(reply);
      expect(parseReply(await first)).toStrictEqual(GET_12_REPLY);
      expect(connection.framing).toBe('bare');
      await peer.until((text) => text === `${GET_12}\r\nOP=CLR;`);
      socket.write('OP=CLR;');
      expect(await second).toBe('OP=CLR;');
    },
  );
});

describe('ProtocolConnection, line framing', () => {
  it('a request that times out keeps its place: its late reply is dropped', async () => {
    const { connection, socket } = await connected();
    const received = linesReceived(socket, 2);
    const late = connection.send('A;', 50);
    await expect(late).rejects.toMatchObject({ name: 'ReplyTimeoutError', wasSent: true });
    const next = connection.send('B;', 10_000);
    await received;
    socket.write('a;\nb;\n');
    expect(await next).toBe('b;');
  });

  it('counts a connection as answered once a reply has come', async () => {
    const { connection, socket } = await connected();
    const reply = connection.send('A;');
    expect(connection.hasAnswered).toBe(false);
    socket.write('a;\n');
    await reply;
    expect(connection.hasAnswered).toBe(true);
  });
});
