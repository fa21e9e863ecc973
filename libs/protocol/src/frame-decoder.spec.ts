import {
  DEFAULT_MAX_MESSAGE_LENGTH,
  FrameDecoder,
  ProtocolError,
  type ErrorCode,
  type Frame,
} from './index';

/** A frame as the tables write it: the message text, or the error code. */
type Seen = string | { readonly error: ErrorCode };

const TOO_LONG: Seen = { error: 'TOO_LONG' };

/**
 * The framing rules as one table of byte streams. `input` is latin1 text (one char per byte) or
 * raw bytes; `frames` are what pushing it gives, `pending` whether unterminated bytes are left,
 * `looksComplete` whether they end in `;` (spaces aside), and `flushed` what flushPending then
 * returns.
 */
interface StreamVector {
  readonly rule: string;
  readonly input: string | Buffer;
  readonly maxLength: number;
  readonly frames: readonly Seen[];
  readonly pending?: boolean;
  readonly looksComplete?: boolean;
  readonly flushed?: Seen;
}

const M = 16;
const x = (length: number): string => 'x'.repeat(length);

const STREAMS: readonly StreamVector[] = [
  { rule: 'LF ends a message', input: 'OP=CLR;\n', maxLength: M, frames: ['OP=CLR;'] },
  { rule: 'CRLF ends a message', input: 'OP=CLR;\r\n', maxLength: M, frames: ['OP=CLR;'] },
  {
    rule: 'several messages in one chunk, mixed terminators',
    input: 'OP=GET;IND=1;\nOP=CLR;\r\nOP=ADD;IND=1,2;\nOP=PUT\r\n',
    maxLength: M,
    frames: ['OP=GET;IND=1;', 'OP=CLR;', 'OP=ADD;IND=1,2;', 'OP=PUT'],
  },
  {
    rule: 'blank lines are skipped',
    input: '\n\r\n\nOP=CLR;\n\r\n\n\nOP=GET;IND=1\n\r\n',
    maxLength: M,
    frames: ['OP=CLR;', 'OP=GET;IND=1'],
  },
  { rule: 'only blank lines', input: '\n\r\n\n\r\n', maxLength: M, frames: [] },
  { rule: 'nothing', input: '', maxLength: M, frames: [] },
  {
    rule: 'an unterminated tail waits',
    input: 'OP=CLR;\nOP=GET;IND=1;',
    maxLength: M,
    frames: ['OP=CLR;'],
    pending: true,
    looksComplete: true,
    flushed: 'OP=GET;IND=1;',
  },
  {
    rule: 'an unterminated tail without its final ; does not look complete',
    input: 'OP=CLR;\nOP=GET;IND=1',
    maxLength: M,
    frames: ['OP=CLR;'],
    pending: true,
    flushed: 'OP=GET;IND=1',
  },
  { rule: 'exactly maxLength with LF', input: `${x(M)}\n`, maxLength: M, frames: [x(M)] },
  { rule: 'exactly maxLength with CRLF', input: `${x(M)}\r\n`, maxLength: M, frames: [x(M)] },
  {
    rule: 'exactly the default maxLength with CRLF',
    input: `${x(DEFAULT_MAX_MESSAGE_LENGTH)}\r\n`,
    maxLength: DEFAULT_MAX_MESSAGE_LENGTH,
    frames: [x(DEFAULT_MAX_MESSAGE_LENGTH)],
  },
  {
    rule: 'maxLength + 1 with LF is TOO_LONG, the next message still decodes',
    input: `${x(M + 1)}\nOP=CLR;\n`,
    maxLength: M,
    frames: [TOO_LONG, 'OP=CLR;'],
  },
  {
    rule: 'maxLength + 1 with CRLF is TOO_LONG, the next message still decodes',
    input: `${x(M + 1)}\r\nOP=CLR;\r\n`,
    maxLength: M,
    frames: [TOO_LONG, 'OP=CLR;'],
  },
  {
    rule: 'default maxLength + 1 is TOO_LONG, the next message still decodes',
    input: `${x(DEFAULT_MAX_MESSAGE_LENGTH + 1)}\nOP=CLR;\n`,
    maxLength: DEFAULT_MAX_MESSAGE_LENGTH,
    frames: [TOO_LONG, 'OP=CLR;'],
  },
  {
    rule: 'a long message is dropped up to its terminator, not beyond',
    input: `${x(M + 2)}OP=CLR;\nOP=GET;IND=1;\n`,
    maxLength: M,
    frames: [TOO_LONG, 'OP=GET;IND=1;'],
  },
  {
    rule: 'two long messages give two TOO_LONG',
    input: `${x(3 * M)}\n${x(M + 1)}\r\n`,
    maxLength: M,
    frames: [TOO_LONG, TOO_LONG],
  },
  {
    rule: 'a huge unterminated stream keeps nothing and is one TOO_LONG when it ends',
    input: x(256 * 1024),
    maxLength: 1024,
    frames: [],
    pending: true,
    flushed: TOO_LONG,
  },
  {
    rule: 'maxLength and a CR may wait for the LF',
    input: `${x(M)}\r`,
    maxLength: M,
    frames: [],
    pending: true,
    flushed: x(M),
  },
  {
    rule: 'a too-long message ending in ; then spaces looks complete, however it was cut',
    input: `${x(M - 1)};  `,
    maxLength: M,
    frames: [],
    pending: true,
    looksComplete: true,
    flushed: TOO_LONG,
  },
  {
    rule: 'a too-long message ending in ; does not make the next too-long one look complete',
    input: `${x(M + 1)};\n${x(M)}  `,
    maxLength: M,
    frames: [TOO_LONG],
    pending: true,
    flushed: TOO_LONG,
  },
  {
    rule: 'maxLength + 1 unterminated is TOO_LONG when flushed',
    input: `OP=CLR;\n${x(M + 1)}`,
    maxLength: M,
    frames: ['OP=CLR;'],
    pending: true,
    flushed: TOO_LONG,
  },
  {
    rule: 'bytes >= 0x80 pass through as latin1',
    input: Buffer.from([0x4f, 0x80, 0xe9, 0xff, 0x0a]),
    maxLength: M,
    frames: ['O\x80\xe9\xff'],
  },
  {
    rule: 'UTF-8 is not decoded: one char per byte',
    input: Buffer.from('OP=GÉT;\n', 'utf8'),
    maxLength: M,
    frames: ['OP=G\xc3\x89T;'],
  },
  {
    rule: 'NUL and a lone CR are kept for the parser to reject',
    input: 'a\0b\rc\n',
    maxLength: M,
    frames: ['a\0b\rc'],
  },
  {
    rule: 'only the CR right before the LF is stripped',
    input: 'OP=CLR;\r\r\n',
    maxLength: M,
    frames: ['OP=CLR;\r'],
  },
];

function seen(frame: Frame): Seen {
  if (frame.kind === 'message') return frame.text;
  expect(frame.error).toBeInstanceOf(ProtocolError);
  expect(frame.error.message).toMatch(/^[\x20-\x3a\x3c-\x7e]+$/);
  return { error: frame.error.code };
}

interface Outcome {
  readonly frames: Seen[];
  readonly pending: boolean;
  readonly looksComplete: boolean;
  /** What peekPending shows: the text flushPending then gives, if it is a message. */
  readonly peeked: string | undefined;
  readonly flushed: Seen | undefined;
}

/** Feeds `chunks` to a fresh decoder, peeks at what is left, then flushes it. */
function decode(chunks: Iterable<Buffer>, maxLength: number): Outcome {
  const decoder = new FrameDecoder(maxLength);
  const frames: Frame[] = [];
  for (const chunk of chunks) decoder.push(chunk, frames);
  const pending = decoder.hasPending;
  const looksComplete = decoder.pendingLooksComplete;
  const peeked = decoder.peekPending();
  const flushed = decoder.flushPending();
  return {
    frames: frames.map(seen),
    pending,
    looksComplete,
    peeked,
    flushed: flushed && seen(flushed),
  };
}

function* bytesOf(buffer: Buffer): Generator<Buffer> {
  for (let i = 0; i < buffer.length; i++) yield buffer.subarray(i, i + 1);
}

function title(vector: StreamVector): string {
  const shown = JSON.stringify(
    typeof vector.input === 'string' ? vector.input : vector.input.toString('latin1'),
  );
  const input =
    shown.length > 50 ? `${shown.slice(0, 47)}..." (${vector.input.length} bytes)` : shown;
  return `${input}: ${vector.rule}`;
}

describe('FrameDecoder stream vectors', () => {
  describe.each(STREAMS.map((vector) => [title(vector), vector] as const))('%s', (_, vector) => {
    const bytes =
      typeof vector.input === 'string' ? Buffer.from(vector.input, 'latin1') : vector.input;
    const expected: Outcome = {
      frames: [...vector.frames],
      pending: vector.pending ?? false,
      looksComplete: vector.looksComplete ?? false,
      peeked: typeof vector.flushed === 'string' ? vector.flushed : undefined,
      flushed: vector.flushed,
    };

    it('decodes as one chunk', () => {
      expect(decode([bytes], vector.maxLength)).toStrictEqual(expected);
    });

    it('decodes byte by byte', () => {
      expect(decode(bytesOf(bytes), vector.maxLength)).toStrictEqual(expected);
    });
  });
});

describe('FrameDecoder', () => {
  it('uses 64 KiB as the default limit', () => {
    expect(DEFAULT_MAX_MESSAGE_LENGTH).toBe(64 * 1024);
    expect(new FrameDecoder().maxLength).toBe(DEFAULT_MAX_MESSAGE_LENGTH);
  });

  it('appends to the array it is given and returns it', () => {
    const decoder = new FrameDecoder();
    const out: Frame[] = [{ kind: 'message', text: 'earlier' }];
    expect(decoder.push(Buffer.from('OP=CLR;\n'), out)).toBe(out);
    expect(out.map(seen)).toStrictEqual(['earlier', 'OP=CLR;']);
  });

  it('answers an endless message once, where it ends, then decodes after the terminator', () => {
    const decoder = new FrameDecoder();
    const chunk = Buffer.alloc(DEFAULT_MAX_MESSAGE_LENGTH, 'x');
    const frames: Frame[] = [];
    for (let i = 0; i < 64; i++) decoder.push(chunk, frames);
    expect(frames).toStrictEqual([]);
    expect(decoder.push(Buffer.from('\nOP=CLR;\n')).map(seen)).toStrictEqual([TOO_LONG, 'OP=CLR;']);
  });
});

describe('FrameDecoder bare messages (hasPending, pendingLooksComplete, peekPending, flushPending)', () => {
  it('has nothing pending when fresh', () => {
    const decoder = new FrameDecoder();
    expect(decoder.hasPending).toBe(false);
    expect(decoder.pendingLooksComplete).toBe(false);
    expect(decoder.peekPending()).toBeUndefined();
    expect(decoder.flushPending()).toBeUndefined();
  });

  it.each<[string, boolean, Seen | undefined]>([
    ['OP=CLR;', true, 'OP=CLR;'],
    ['OP=GET;IND=1;', true, 'OP=GET;IND=1;'],
    ['OP=CLR; \t ', true, 'OP=CLR; \t '],
    ['OP=CLR;\r', true, 'OP=CLR;'],
    ['OP=GET;IND=1', false, 'OP=GET;IND=1'],
    ['OP=GET;IND=1,', false, 'OP=GET;IND=1,'],
    ['OP=CLR;\nOP=G', false, 'OP=G'],
    ['   ', false, '   '],
    ['\r', false, undefined],
  ])('after %j: looks complete %s, flushes %j', (input, looksComplete, flushed) => {
    const decoder = new FrameDecoder();
    decoder.push(Buffer.from(input, 'latin1'));
    expect(decoder.hasPending).toBe(true);
    expect(decoder.pendingLooksComplete).toBe(looksComplete);
    expect(decoder.peekPending()).toBe(flushed);
    expect(decoder.hasPending).toBe(true);
    const frame = decoder.flushPending();
    expect(frame && seen(frame)).toStrictEqual(flushed);
    expect(decoder.hasPending).toBe(false);
    expect(decoder.pendingLooksComplete).toBe(false);
    expect(decoder.peekPending()).toBeUndefined();
    expect(decoder.flushPending()).toBeUndefined();
  });

  it('peeks without taking: more input extends the same message', () => {
    const decoder = new FrameDecoder(M);
    decoder.push(Buffer.from('OP=GET;'));
    decoder.push(Buffer.from('IND=1'));
    expect(decoder.peekPending()).toBe('OP=GET;IND=1');
    expect(decoder.push(Buffer.from('2;\r\n')).map(seen)).toStrictEqual(['OP=GET;IND=12;']);
    expect(decoder.hasPending).toBe(false);
    decoder.push(Buffer.from(x(M)));
    expect(decoder.peekPending()).toBe(x(M));
    decoder.push(Buffer.from('y'));
    // Too long now: nothing to show, TOO_LONG to flush.
    expect(decoder.peekPending()).toBeUndefined();
    expect(seen(decoder.flushPending()!)).toStrictEqual(TOO_LONG);
  });

  it('has nothing pending once every message is terminated', () => {
    const decoder = new FrameDecoder();
    decoder.push(Buffer.from('OP=CLR;\r\n'));
    expect(decoder.hasPending).toBe(false);
    expect(decoder.pendingLooksComplete).toBe(false);
  });

  it('starts afresh after a flush: a late terminator is a blank line', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from('OP=CLR;'))).toStrictEqual([]);
    expect(decoder.flushPending()).toStrictEqual({ kind: 'message', text: 'OP=CLR;' });
    expect(decoder.push(Buffer.from('\r\n'))).toStrictEqual([]);
    expect(decoder.push(Buffer.from('OP=GET;IND=1;\nOP=C')).map(seen)).toStrictEqual([
      'OP=GET;IND=1;',
    ]);
    expect(decoder.pendingLooksComplete).toBe(false);
    decoder.push(Buffer.from('LR;'));
    expect(decoder.pendingLooksComplete).toBe(true);
    expect(decoder.flushPending()).toStrictEqual({ kind: 'message', text: 'OP=CLR;' });
  });

  it('gives a flushed message of maxLength + 1 bytes as TOO_LONG', () => {
    const decoder = new FrameDecoder(M);
    decoder.push(Buffer.from(`${x(M)};`));
    expect(decoder.pendingLooksComplete).toBe(true);
    const frame = decoder.flushPending();
    expect(frame && seen(frame)).toStrictEqual(TOO_LONG);
  });

  it('answers a too-long bare message at the pause, and then serves the next bare message', () => {
    const decoder = new FrameDecoder(M);
    expect(decoder.push(Buffer.from(`${x(M + 10)};`))).toStrictEqual([]);
    expect(decoder.hasPending).toBe(true);
    expect(decoder.pendingLooksComplete).toBe(true);
    expect(seen(decoder.flushPending()!)).toStrictEqual(TOO_LONG);
    expect(decoder.hasPending).toBe(false);
    decoder.push(Buffer.from('OP=CLR;'));
    expect(decoder.flushPending()).toStrictEqual({ kind: 'message', text: 'OP=CLR;' });
  });

  it('forgets how a flushed too-long message ended: the next one is judged by its own bytes', () => {
    const decoder = new FrameDecoder(M);
    decoder.push(Buffer.from(`${x(M + 10)};`));
    expect(seen(decoder.flushPending()!)).toStrictEqual(TOO_LONG);
    decoder.push(Buffer.from(x(M)));
    // Discarding starts on a chunk of only spaces: the dropped bytes end in `x`.
    decoder.push(Buffer.from('  '));
    expect(decoder.hasPending).toBe(true);
    expect(decoder.pendingLooksComplete).toBe(false);
  });

  it('tells whether a dropped too-long message ends like a complete one', () => {
    const decoder = new FrameDecoder(M);
    decoder.push(Buffer.from(`${x(M + 10)};`));
    decoder.push(Buffer.from('x  '));
    expect(decoder.pendingLooksComplete).toBe(false);
    decoder.push(Buffer.from(';\r'));
    expect(decoder.pendingLooksComplete).toBe(true);
  });
});
