import { type Frame, isCompleteRequest } from '@semicache/protocol';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { waitFor } from '../../../test/support/processes';
import { ProtocolSocket } from './protocol-socket';

/** A ProtocolSocket on a real loopback connection, with a handler the test answers by hand. */
async function setup(maxPendingReplies: number) {
  const frames: string[] = [];
  const answers: ((reply: string) => void)[] = [];
  let frameArrived: () => void = () => undefined;
  let accepted: (wrapper: ProtocolSocket) => void = () => undefined;
  const wrapper = new Promise<ProtocolSocket>((resolve) => (accepted = resolve));
  const server: Server = createServer((socket) => {
    accepted(
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
        (text) => isCompleteRequest(text),
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.setEncoding('latin1');
  let received = '';
  client.on('data', (text: string) => (received += text));
  const ended = new Promise<string>((resolve) => client.once('end', () => resolve(received)));
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const nextFrame = () => new Promise<void>((resolve) => (frameArrived = resolve));
  const served = await wrapper;
  const close = async () => {
    client.destroy();
    // Replies a failed test never gave would keep the server side open.
    served.socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { frames, answers, client, nextFrame, close, wrapper: served, ended };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * Runs `test` on a fresh set-up and closes it however the test ends. Timers are the test's: the
 * pause timers only fire when it says.
 */
async function withFakeTimers(
  maxPendingReplies: number,
  test: (setup: Setup) => Promise<void>,
): Promise<void> {
  const connection = await setup(maxPendingReplies);
  try {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await test(connection);
  } finally {
    await connection.close();
  }
}

describe('ProtocolSocket', () => {
  afterEach(() => jest.useRealTimers());

  it('does not take half a message for a bare one while it has stopped reading itself', async () => {
    await withFakeTimers(1, async ({ frames, answers, client, nextFrame }) => {
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
    });
  });

  it('takes unterminated input that parses as a request at the short pause, other input at the long one', async () => {
    await withFakeTimers(16, async ({ frames, client, nextFrame }) => {
      // Each write ends with a terminated message, so its frame tells that the write has arrived.
      let arrived = nextFrame();
      client.write('OP=CLR;\nOP=GET;IND=1,2');
      await arrived;
      arrived = nextFrame();
      jest.advanceTimersByTime(10);
      await arrived;
      expect(frames).toStrictEqual(['OP=CLR;', 'OP=GET;IND=1,2']);

      arrived = nextFrame();
      client.write('OP=CLR;\nOP=GET;IND=1,');
      await arrived;
      jest.advanceTimersByTime(29);
      expect(frames).toHaveLength(3);
      arrived = nextFrame();
      jest.advanceTimersByTime(1);
      await arrived;
      expect(frames).toStrictEqual(['OP=CLR;', 'OP=GET;IND=1,2', 'OP=CLR;', 'OP=GET;IND=1,']);
    });
  });

  describe('graceful close (end) with unterminated input', () => {
    it('reads on, so the rest of a message still arriving is not cut off', async () => {
      await withFakeTimers(16, async ({ frames, answers, client, nextFrame, wrapper, ended }) => {
        let arrived = nextFrame();
        client.write('OP=GET;IND=1;\nOP=PUT;DATA=5;IND=1');
        await arrived;
        const closed = wrapper.end();
        arrived = nextFrame();
        client.write('2;\n');
        await arrived;
        expect(frames).toStrictEqual(['OP=GET;IND=1;', 'OP=PUT;DATA=5;IND=12;']);
        answers[0]('first');
        answers[1]('second');
        expect(await ended).toBe('first\nsecond\n');
        await closed;
      });
    });

    it.each([
      ['a whole request', 'OP=GET;IND=1'],
      ['the front of one', 'OP=GET;IND=1,'],
    ])('takes %s once the short pause passes, and answers it', async (_, input) => {
      await withFakeTimers(16, async ({ frames, answers, client, nextFrame, wrapper, ended }) => {
        let arrived = nextFrame();
        client.write(`OP=CLR;\n${input}`);
        await arrived;
        answers[0]('cleared');
        const closed = wrapper.end();
        arrived = nextFrame();
        jest.advanceTimersByTime(10);
        await arrived;
        expect(frames).toStrictEqual(['OP=CLR;', input]);
        answers[1]('answered');
        expect(await ended).toBe('cleared\nanswered\n');
        await closed;
      });
    });

    it('takes input whose short pause has passed at once', async () => {
      await withFakeTimers(16, async ({ frames, answers, client, nextFrame, wrapper, ended }) => {
        let arrived = nextFrame();
        client.write('OP=CLR;\nOP=GET;IND=');
        await arrived;
        answers[0]('cleared');
        jest.advanceTimersByTime(10);
        expect(frames).toStrictEqual(['OP=CLR;']);
        arrived = nextFrame();
        const closed = wrapper.end();
        await arrived;
        expect(frames).toStrictEqual(['OP=CLR;', 'OP=GET;IND=']);
        answers[1]('refused');
        expect(await ended).toBe('cleared\nrefused\n');
        await closed;
      });
    });
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

  it('answers a handler that settles with no string as an internal error, and goes on', async () => {
    const { answers, client, close } = await setup(16);
    try {
      let received = '';
      const replied = new Promise<string>((resolve) =>
        client.on('data', (text: string) => {
          received += text;
          if (received.split('\n').length > 2) resolve(received);
        }),
      );
      client.write('OP=GET;IND=1;\nOP=GET;IND=2;\n');
      await waitFor('both requests handled', () => answers.length === 2 || undefined);
      answers[0](undefined as unknown as string);
      answers[1]('OP=GET;IND=2;DATA=2;');
      expect(await replied).toBe('OP=ERR;CODE=INTERNAL;\nOP=GET;IND=2;DATA=2;\n');
    } finally {
      await close();
    }
  });
});
