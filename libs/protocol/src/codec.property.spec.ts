import fc from 'fast-check';
import {
  ERROR_CODES,
  FrameDecoder,
  INT64_MAX,
  INT64_MIN,
  MAX_INDEX,
  ProtocolError,
  parseReply,
  parseRequest,
  serializeReply,
  serializeRequest,
  type Frame,
  type Reply,
  type Request,
} from './index';
import { cut } from '../../../test/reliability/support/fuzz';

const RUNS = 5000;

// --- arbitraries for valid messages ------------------------------------------------------------

const index = fc.integer({ min: 0, max: MAX_INDEX });
const value = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.constantFrom(INT64_MIN, INT64_MIN + 1n, -1n, 0n, 1n, INT64_MAX - 1n, INT64_MAX),
);
const indices = (maxLength: number): fc.Arbitrary<number[]> =>
  fc.array(index, { minLength: 1, maxLength });
const stored = fc
  .array(fc.tuple(index, value), { minLength: 1, maxLength: 20 })
  .map((pairs) => ({ indices: pairs.map(([i]) => i), values: pairs.map(([, v]) => v) }));

const PRINTABLE_WITHOUT_SEMICOLON = Array.from({ length: 0x7f - 0x20 }, (_, i) =>
  String.fromCharCode(0x20 + i),
).filter((char) => char !== ';');
/** MSG text as the brief allows it: printable ASCII without `;`, possibly with edge spaces. */
const rawMessage = fc.string({
  unit: fc.constantFrom(...PRINTABLE_WITHOUT_SEMICOLON),
  maxLength: 60,
});
/** A canonical MSG: spaces around tokens are lenient, so canonical has none. */
const message = rawMessage.map((text) => text.trim());
const errorCode = fc.constantFrom(...ERROR_CODES);

const request: fc.Arbitrary<Request> = fc.oneof(
  indices(20).map((list): Request => ({ op: 'GET', indices: list })),
  stored.map(({ indices: list, values }): Request => ({ op: 'PUT', indices: list, values })),
  fc.constant<Request>({ op: 'CLR' }),
  indices(5).map((list): Request => ({ op: 'ADD', indices: list })),
);

const reply: fc.Arbitrary<Reply> = fc.oneof(
  stored.map(({ indices: list, values }): Reply => ({ op: 'GET', indices: list, values })),
  stored.map(({ indices: list, values }): Reply => ({ op: 'PUT', indices: list, values })),
  fc.constant<Reply>({ op: 'CLR' }),
  fc.tuple(indices(5), value).map(([list, sum]): Reply => ({ op: 'ADD', indices: list, sum })),
  fc.tuple(errorCode, message).map(([code, text]): Reply => ({ op: 'ERR', code, message: text })),
);

// --- a lenient writer: the same message as a sloppy client may send it ----------------------

/**
 * The writer's random choices, read from a tape of numbers that fast-check generates and shrinks
 * (much cheaper than `fc.gen()`); the tape is read round again when used up.
 */
class Choices {
  private read = 0;

  constructor(private readonly tape: readonly number[]) {}

  pick<T>(...options: T[]): T {
    return options[this.tape[this.read++ % this.tape.length] % options.length];
  }

  /** A permutation of `items` (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.tape[this.read++ % this.tape.length] % (i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
const choices = fc
  .array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 200 })
  .map((tape) => new Choices(tape));

/** Each letter upper or lower case at random: covers upper, lower and mixed case. */
function sloppyCase(choose: Choices, word: string): string {
  return [...word].map((char) => choose.pick(char, char.toLowerCase())).join('');
}

/** Known keys no OP of either side always uses: placeholders or extra fields where unused. */
const OPTIONAL_KEYS = ['IND', 'DATA', 'CODE', 'MSG'] as const;
/** Fields no message uses, as peers add them. */
const UNKNOWN_FIELDS = ['STATUS=200', 'x=', ' Time = 3 ms ', 'id=None', 'X=1,,2'];

function writeLeniently(choose: Choices, msg: Request | Reply, side: 'request' | 'reply'): string {
  const pad = (): string => choose.pick('', '', ' ', '\t', ' \t ');
  const zeros = (): string => choose.pick('', '', '0', '000');
  const number = (n: bigint): string => {
    const sign = n < 0n ? '-' : choose.pick('', '+');
    return `${pad()}${sign}${zeros()}${n < 0n ? -n : n}${pad()}`;
  };
  const ind = (n: number): string => `${pad()}${choose.pick('', '+')}${zeros()}${n}${pad()}`;

  const fields: [string, string][] = [['OP', `${pad()}${sloppyCase(choose, msg.op)}${pad()}`]];
  if (msg.op === 'ERR') {
    fields.push(['CODE', `${pad()}${msg.code}${pad()}`]);
    if (msg.message !== '' || choose.pick(false, true)) {
      fields.push(['MSG', `${pad()}${msg.message}`]);
    }
  } else if (msg.op !== 'CLR') {
    fields.push(['IND', msg.indices.map(ind).join(',')]);
    if ('values' in msg) fields.push(['DATA', msg.values.map(number).join(',')]);
    if ('sum' in msg) fields.push(['DATA', number(msg.sum)]);
  }
  // A field the OP does not use may come as the `None` placeholder; in a reply, with any value.
  const used = new Set([...fields.map(([key]) => key), ...(msg.op === 'ERR' ? ['MSG'] : [])]);
  for (const key of OPTIONAL_KEYS) {
    if (used.has(key) || (side === 'request' && (key === 'CODE' || key === 'MSG'))) continue;
    const placeholder = `${pad()}${sloppyCase(choose, 'None')}${pad()}`;
    const value = side === 'request' ? placeholder : choose.pick(placeholder, '200', '1,x', '');
    if (choose.pick(false, true)) fields.push([key, value]);
  }
  if (side === 'reply') {
    for (const extra of UNKNOWN_FIELDS) {
      if (choose.pick(false, false, true)) {
        const eq = extra.indexOf('=');
        fields.push([extra.slice(0, eq), extra.slice(eq + 1)]);
      }
    }
  }
  const text = choose
    .shuffle(fields)
    .map(([key, val]) => `${pad()}${sloppyCase(choose, key)}${pad()}=${val}`);
  return `${text.join(';')}${choose.pick('', ';')}${pad()}`;
}

// --- the error contract ------------------------------------------------------------------------

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const ONE_LINE_WITHOUT_SEMICOLON = /^[\x20-\x3a\x3c-\x7e]+$/;
const PRINTABLE_OR_TAB = /^[\x20-\x7e\t]*$/;

/**
 * Parses `text`; the parser must either accept it (only if it is printable ASCII and tabs) with a
 * message whose canonical form parses back to it, or throw a ProtocolError with a known code and
 * a one-line message without `;`. Anything else fails the property, and fast-check reports the
 * input. The hot checks are plain conditions: `expect` costs ten times the parse in this loop.
 */
function checkTotal<M>(
  parse: (text: string) => M,
  serialize: (msg: M) => string,
  text: string,
): 'accepted' | 'rejected' {
  let parsed: M;
  try {
    parsed = parse(text);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    if (!KNOWN_CODES.has(error.code) || !ONE_LINE_WITHOUT_SEMICOLON.test(error.message)) {
      throw new Error(`malformed error ${error.code}: ${JSON.stringify(error.message)}`);
    }
    return 'rejected';
  }
  if (!PRINTABLE_OR_TAB.test(text)) throw new Error('accepted a byte that is not printable');
  expect(parse(serialize(parsed))).toStrictEqual(parsed);
  return 'accepted';
}

function checkBothParsers(text: string): ('accepted' | 'rejected')[] {
  return [
    checkTotal((t) => parseRequest(t), serializeRequest, text),
    checkTotal(parseReply, serializeReply, text),
  ];
}

// Fragments of the protocol, so random text often gets far into the parser.
const FRAGMENTS = [
  'OP', 'op', 'IND', 'ind', 'DATA', 'CODE', 'MSG', 'FOO', '=', ';', ';', ',', ' ', '\t',
  'GET', 'put', 'CLR', 'ADD', 'ERR', 'BAD_INDEX', 'BUSY', '-', '+', '0', '1', '42', '007',
  '2147483647', '2147483648', '9223372036854775807', '9223372036854775808',
  '-9223372036854775808', '-9223372036854775809', '1.5', 'x', '\r', '\n', '\0', '\xe9',
  'None', 'none', 'STATUS',
]; // prettier-ignore

const fragmentSoup = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 })
  .map((parts) => parts.join(''));

const listOf = (items: readonly string[]): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...items), { minLength: 0, maxLength: 7 }).map((l) => l.join(','));
const NUMBERS = ['0', '1', '5', '+3', '-4', '007', ' 8 ', '', '-1', '1.5', '9223372036854775808'];
const PLACEHOLDERS = ['None', 'none', ' NONE ', 'Nonesuch'];
const field = fc.oneof(
  fc.constantFrom('GET', 'PUT', 'CLR', 'ADD', 'ERR', 'get', 'DEL').map((op) => `OP=${op}`),
  listOf(NUMBERS).map((list) => `IND=${list}`),
  listOf(NUMBERS).map((list) => `DATA=${list}`),
  fc.constantFrom(...PLACEHOLDERS).map((placeholder) => `IND=${placeholder}`),
  fc.constantFrom(...PLACEHOLDERS).map((placeholder) => `DATA=${placeholder}`),
  fc.constantFrom(...ERROR_CODES, 'NOPE').map((code) => `CODE=${code}`),
  message.map((text) => `MSG=${text}`),
  fc.constantFrom('', ' ', 'X=1', 'IND', '=1', 'CODE=200', 'STATUS=ok'),
);
/** Nearly well-formed messages: right shape, random fields. Both outcomes are common. */
const fieldSoup = fc
  .tuple(fc.array(field, { maxLength: 5 }), fc.constantFrom('', ';', ' ; '))
  .map(([fields, end]) => `${fields.join(';')}${end}`);

// --- the framing model -------------------------------------------------------------------------

type Seen = string | { readonly error: string };

function seen(frame: Frame): Seen {
  return frame.kind === 'message' ? frame.text : { error: frame.error.code };
}

interface Outcome {
  readonly frames: Seen[];
  /** Whether the unterminated tail ends in `;` (spaces aside): it picks the pause that ends it. */
  readonly looksComplete: boolean;
  /** The unterminated tail's text, as a flush would take it (if not too long). */
  readonly peeked: string | undefined;
  readonly flushed: Seen | undefined;
}

function decode(chunks: readonly Buffer[], maxLength: number): Outcome {
  const decoder = new FrameDecoder(maxLength);
  const frames: Frame[] = [];
  for (const chunk of chunks) decoder.push(chunk, frames);
  const looksComplete = decoder.pendingLooksComplete;
  const peeked = decoder.peekPending();
  const flushed = decoder.flushPending();
  return { frames: frames.map(seen), looksComplete, peeked, flushed: flushed && seen(flushed) };
}

/** The framing rules of docs/protocol.md written the obvious way, on the whole stream at once. */
function model(stream: Buffer, maxLength: number): Outcome {
  const lines = stream.toString('latin1').split('\n');
  const tail = lines.pop() ?? '';
  const frame = (line: string): Seen | undefined => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text === '') return undefined;
    return text.length > maxLength ? { error: 'TOO_LONG' } : text;
  };
  const frames = lines.flatMap((line) => frame(line) ?? []);
  // An unterminated tail is a message (or TOO_LONG) once flushed.
  const flushed = frame(tail);
  return {
    frames,
    looksComplete: /;[ \t\r]*$/.test(tail),
    peeked: typeof flushed === 'string' ? flushed : undefined,
    flushed,
  };
}

const streamPiece: fc.Arbitrary<Buffer> = fc.oneof(
  request.map((msg) => Buffer.from(serializeRequest(msg), 'latin1')),
  fc.constantFrom('\n', '\r\n', '\r', '\n\n', ';', ' ').map((text) => Buffer.from(text, 'latin1')),
  fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
  fc.nat({ max: 300 }).map((length) => Buffer.alloc(length, 'x')),
  fc.nat({ max: 40 }).map((length) => Buffer.alloc(length, ' ')),
);
const stream = fc.array(streamPiece, { maxLength: 25 }).map((pieces) => Buffer.concat(pieces));

// --- properties --------------------------------------------------------------------------------

describe('codec properties', () => {
  it('parseRequest(serializeRequest(m)) deep-equals m for every valid request', () => {
    fc.assert(
      fc.property(request, (msg) => {
        expect(parseRequest(serializeRequest(msg))).toStrictEqual(msg);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseReply(serializeReply(m)) deep-equals m for every valid reply', () => {
    fc.assert(
      fc.property(reply, (msg) => {
        expect(parseReply(serializeReply(msg))).toStrictEqual(msg);
      }),
      { numRuns: RUNS },
    );
  });

  it('an ERR MSG with spaces at its edges comes back trimmed, and nothing else changes', () => {
    fc.assert(
      fc.property(errorCode, rawMessage, (code, text) => {
        expect(parseReply(serializeReply({ op: 'ERR', code, message: text }))).toStrictEqual({
          op: 'ERR',
          code,
          message: text.trim(),
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('the lenient forms of every valid request and reply parse to the same message', () => {
    fc.assert(
      fc.property(request, reply, choices, (req, rep, choose) => {
        expect(parseRequest(writeLeniently(choose, req, 'request'))).toStrictEqual(req);
        expect(parseReply(writeLeniently(choose, rep, 'reply'))).toStrictEqual(rep);
      }),
      { numRuns: RUNS },
    );
  });

  describe.each([
    ['arbitrary strings (full Unicode)', fc.string({ unit: 'binary', maxLength: 80 })],
    ['arbitrary strings (ASCII and latin1)', fc.string({ unit: 'binary-ascii', maxLength: 80 })],
    [
      'arbitrary bytes decoded as latin1',
      fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    ],
    ['protocol fragments', fragmentSoup],
  ])('on %s', (_, text) => {
    it('parsers return a message or throw a well-formed ProtocolError, nothing else', () => {
      fc.assert(
        fc.property(text, (t) => void checkBothParsers(t)),
        { numRuns: RUNS },
      );
    });
  });

  it('on nearly well-formed messages, parsers accept or reject cleanly, and do both', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(fieldSoup, (text) => {
        for (const outcome of checkBothParsers(text)) outcomes.add(outcome);
      }),
      { numRuns: RUNS },
    );
    expect([...outcomes].sort()).toEqual(['accepted', 'rejected']);
  });

  it('FrameDecoder gives the same frames however the stream is cut, as the framing rules say', () => {
    fc.assert(
      fc.property(
        stream,
        fc.constantFrom(1, 8, 16, 64, 256),
        fc.array(fc.nat(), { maxLength: 40 }),
        (bytes, maxLength, positions) => {
          const whole = decode([bytes], maxLength);
          expect(whole).toStrictEqual(model(bytes, maxLength));
          expect(decode(cut(bytes, positions), maxLength)).toStrictEqual(whole);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
