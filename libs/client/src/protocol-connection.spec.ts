import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { ConnectionClosedError, ProtocolConnection } from './protocol-connection';

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

async function connected(maxReplyLength?: number) {
  const peer = await scriptedPeer();
  const [connection, socket] = await Promise.all([
    ProtocolConnection.open('127.0.0.1', peer.port, 5000, maxReplyLength),
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
    const { connection, socket } = await connected(16);
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
