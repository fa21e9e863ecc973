import type { Frame } from '@semicache/protocol';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { ProtocolSocket } from './protocol-socket';

/** A ProtocolSocket on a real loopback connection, with a handler the test answers by hand. */
async function setup(maxPendingReplies: number) {
  const frames: string[] = [];
  const answers: ((reply: string) => void)[] = [];
  let frameArrived: () => void = () => undefined;
  const server: Server = createServer((socket) => {
    new ProtocolSocket(
      socket,
      (frame: Frame) => {
        frames.push(frame.kind === 'message' ? frame.text : frame.error.code);
        frameArrived();
        return new Promise<string>((resolve) => answers.push(resolve));
      },
      {
        maxMessageLength: 1024,
        bareMessageDelayMs: 10,
        partialMessageTimeoutMs: 30,
        idleTimeoutMs: 0,
        maxPendingReplies,
      },
      'OP=ERR;CODE=INTERNAL;',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const nextFrame = () => new Promise<void>((resolve) => (frameArrived = resolve));
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { frames, answers, client, nextFrame, close };
}

describe('ProtocolSocket', () => {
  afterEach(() => jest.useRealTimers());

  it('does not take half a message for a bare one while it has stopped reading itself', async () => {
    const { frames, answers, client, nextFrame, close } = await setup(1);
    try {
      // Timers are the test's: the pause timer can only fire when the test says.
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      const first = nextFrame();
      client.write('OP=GET;IND=1;\nOP=PUT;DATA=5;IND=1');
      await first;
      // One reply outstanding = the limit: reading is paused with `OP=PUT;DATA=5;IND=1` pending.
      jest.advanceTimersByTime(10_000);
      expect(frames).toStrictEqual(['OP=GET;IND=1;']);

      const second = nextFrame();
      client.write('2;\n');
      answers[0]('OP=GET;IND=1;DATA=0;');
      await second;
      expect(frames).toStrictEqual(['OP=GET;IND=1;', 'OP=PUT;DATA=5;IND=12;']);
    } finally {
      await close();
    }
  });

  it('answers an unterminated message after the pause while reading', async () => {
    const { frames, client, nextFrame, close } = await setup(16);
    try {
      const first = nextFrame();
      client.write('OP=GET;IND=3;');
      await first;
      expect(frames).toStrictEqual(['OP=GET;IND=3;']);
    } finally {
      await close();
    }
  });
});
