/**
 * What the reliability suite fuzzes with: valid requests, mutations of them (byte flips,
 * insertions, deletions, truncations, duplicated separators, hostile tokens), raw bytes, the
 * framing model of docs/protocol.md, and the oracle that says whether a reply is a right answer to a
 * frame. Shared by the codec fuzzing (in process) and the live fuzzing (over TCP).
 */
import fc from 'fast-check';
import {
  ERROR_CODES,
  INT64_MAX,
  INT64_MIN,
  MAX_INDEX,
  ProtocolError,
  type Reply,
  type Request,
  parseReply,
  parseRequest,
  serializeRequest,
} from '@semicache/protocol';

// --- valid requests ----------------------------------------------------------------------------

/** Indices mostly inside a 10-entry table, sometimes outside, sometimes at the protocol's edge. */
const index = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 9 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_INDEX, MAX_INDEX - 1) },
);
const value = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: -1000n, max: 1000n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n) },
);
const indices = (maxLength: number) => fc.array(index, { minLength: 1, maxLength });

export const validRequest: fc.Arbitrary<Request> = fc.oneof(
  indices(8).map((list): Request => ({ op: 'GET', indices: list })),
  fc.array(fc.tuple(index, value), { minLength: 1, maxLength: 8 }).map((pairs): Request => ({
    op: 'PUT',
    indices: pairs.map(([i]) => i),
    values: pairs.map(([, v]) => v),
  })),
  fc.constant<Request>({ op: 'CLR' }),
  indices(6).map((list): Request => ({ op: 'ADD', indices: list })),
);

export const validRequestBytes: fc.Arbitrary<Buffer> = validRequest.map((request) =>
  Buffer.from(serializeRequest(request), 'latin1'),
);

const validReply: fc.Arbitrary<Reply> = fc.oneof(
  indices(8).chain((list) =>
    fc
      .array(value, { minLength: list.length, maxLength: list.length })
      .map((values): Reply => ({ op: 'GET', indices: list, values })),
  ),
  fc.tuple(indices(5), value).map(([list, sum]): Reply => ({ op: 'ADD', indices: list, sum })),
  fc.constant<Reply>({ op: 'CLR' }),
  fc
    .tuple(fc.constantFrom(...ERROR_CODES), fc.stringMatching(/^[A-Za-z0-9 .,]{0,30}$/))
    .map(([code, message]): Reply => ({ op: 'ERR', code, message: message.trim() })),
);

export const validReplyBytes: fc.Arbitrary<Buffer> = validReply.map((reply) => {
  switch (reply.op) {
    case 'GET':
    case 'PUT':
      return Buffer.from(
        `OP=${reply.op};IND=${reply.indices.join(',')};DATA=${reply.values.join(',')};`,
      );
    case 'ADD':
      return Buffer.from(`OP=ADD;IND=${reply.indices.join(',')};DATA=${reply.sum};`);
    case 'CLR':
      return Buffer.from('OP=CLR;');
    case 'ERR':
      return Buffer.from(`OP=ERR;CODE=${reply.code};MSG=${reply.message};`);
  }
});

// --- mutations ---------------------------------------------------------------------------------

/** Hostile tokens spliced into messages. */
export const HOSTILE_TOKENS: readonly Buffer[] = [
  Buffer.from([0x00]),
  Buffer.from([0x00, 0x00, 0x00]),
  Buffer.from([0xff]),
  Buffer.from([0xc3, 0x28]), // invalid UTF-8: a lead byte with no continuation
  Buffer.from([0x80]), // a lone continuation byte
  Buffer.from([0xc0, 0xaf]), // an overlong encoding of "/"
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded in UTF-8
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from('é'),
  Buffer.from('😀'),
  Buffer.from('\r'),
  Buffer.from('\n'),
  Buffer.from('\r\n'),
  Buffer.from('\t'),
  Buffer.from(' '),
  Buffer.from(';;'),
  Buffer.from(',,'),
  Buffer.from('=='),
  Buffer.from('OP='),
  Buffer.from('IND='),
  Buffer.from('DATA='),
  Buffer.from('op=get'),
  Buffer.from('9'.repeat(40)),
  Buffer.from('-' + '9'.repeat(25)),
  Buffer.from('9223372036854775808'),
  Buffer.from('-9223372036854775809'),
  Buffer.from('2147483648'),
  Buffer.from('0'.repeat(300) + '1'),
  Buffer.from('1.5'),
  Buffer.from('0x10'),
  Buffer.from('1e3'),
  Buffer.from('NaN'),
  Buffer.from('+-1'),
];

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly byte: number }
  | { readonly kind: 'bitflip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Buffer }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate-separator'; readonly nth: number; readonly times: number }
  | { readonly kind: 'splice-hostile'; readonly at: number; readonly token: number };

const position = fc.nat({ max: 1 << 16 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, byte: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('bitflip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: position,
    length: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('duplicate-separator' as const),
    nth: fc.nat({ max: 20 }),
    times: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('splice-hostile' as const),
    at: position,
    token: fc.nat({ max: HOSTILE_TOKENS.length - 1 }),
  }),
);

const SEPARATORS = new Set([0x3b, 0x2c, 0x3d]); // ; , =

function applyMutation(input: Buffer, m: Mutation): Buffer {
  const at = m.kind === 'duplicate-separator' ? 0 : m.at % (input.length + 1);
  switch (m.kind) {
    case 'flip': {
      if (input.length === 0) return Buffer.from([m.byte]);
      const out = Buffer.from(input);
      out[at % input.length] = m.byte;
      return out;
    }
    case 'bitflip': {
      if (input.length === 0) return input;
      const out = Buffer.from(input);
      out[at % input.length] ^= 1 << m.bit;
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), m.bytes, input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.length)]);
    case 'truncate':
      return input.subarray(0, at);
    case 'duplicate-separator': {
      const separators: number[] = [];
      input.forEach((byte, i) => SEPARATORS.has(byte) && separators.push(i));
      if (separators.length === 0) return input;
      const i = separators[m.nth % separators.length];
      const copies = Buffer.alloc(m.times, input[i]);
      return Buffer.concat([input.subarray(0, i), copies, input.subarray(i)]);
    }
    case 'splice-hostile':
      return Buffer.concat([input.subarray(0, at), HOSTILE_TOKENS[m.token], input.subarray(at)]);
  }
}

/** `base` with one to four mutations applied. */
export function mutated(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([input, mutations]) => mutations.reduce(applyMutation, input));
}

const FRAGMENTS = [
  'OP=',
  'GET',
  'PUT',
  'CLR',
  'ADD',
  'ERR',
  'IND=',
  'DATA=',
  'CODE=',
  'MSG=',
  ';',
  ',',
  '1',
  '-7',
  '42',
];

/** Random bytes, sometimes seeded with protocol fragments so the parser gets further. */
export const binaryBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...HOSTILE_TOKENS),
        fc.constantFrom(...FRAGMENTS).map((text) => Buffer.from(text)),
        fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes)),
      ),
      { maxLength: 20 },
    )
    .map((parts) => Buffer.concat(parts)),
);

/** Everything the live fuzzer sends as one input: mostly mutations, some valid, some raw bytes. */
export const liveInput: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: mutated(validRequestBytes) },
  { weight: 2, arbitrary: binaryBytes },
  { weight: 2, arbitrary: validRequestBytes },
);

// --- the framing model (docs/protocol.md, Framing) --------------------------------------------

/** `buffer` cut at `positions` (each taken modulo its length + 1), as a stream may arrive. */
export function cut(buffer: Buffer, positions: readonly number[]): Buffer[] {
  const points = [...new Set(positions.map((p) => p % (buffer.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, buffer.length]) {
    chunks.push(buffer.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** One frame as the server must see it: a message's text (latin1), or a too-long message. */
export type ModelFrame = { readonly text: string } | { readonly tooLong: true };

/**
 * The frames a stream of bytes ending with a line feed holds: one per non-blank line (a final
 * CR dropped), a line longer than `maxLength` bytes being one TOO_LONG frame.
 */
export function framesOf(stream: Buffer, maxLength: number): ModelFrame[] {
  const lines = stream.toString('latin1').split('\n');
  lines.pop(); // after the final line feed
  const frames: ModelFrame[] = [];
  for (const line of lines) {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text === '') continue;
    frames.push(text.length > maxLength ? { tooLong: true } : { text });
  }
  return frames;
}

// --- the oracle --------------------------------------------------------------------------------

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function sameList(a: readonly (number | bigint)[], b: readonly (number | bigint)[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/**
 * Why `reply` (a line, without its terminator) is not a right answer to `frame` from a table of
 * `size` entries; undefined if it is. A right answer parses as a reply; an error reply has a
 * known CODE; a frame the codec rejects gets that very code; a valid request gets a success of
 * its OP echoing what it must (PUT: IND and DATA as sent; GET: IND and one value each; ADD: IND
 * and one sum), or BAD_INDEX (an index outside the table) or OVERFLOW (an ADD whose sum does not
 * fit). Nothing else.
 */
export function judgeReply(frame: ModelFrame, reply: string, size: number): string | undefined {
  let parsed: Reply;
  try {
    parsed = parseReply(reply);
  } catch (error) {
    return `reply does not parse (${(error as Error).message}): ${JSON.stringify(reply)}`;
  }
  if (parsed.op === 'ERR' && !KNOWN_CODES.has(parsed.code)) return `unknown CODE in ${reply}`;
  if ('tooLong' in frame) {
    return parsed.op === 'ERR' && parsed.code === 'TOO_LONG'
      ? undefined
      : `a too-long message got ${reply}`;
  }
  let request: Request;
  try {
    request = parseRequest(frame.text);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return parsed.op === 'ERR' && parsed.code === error.code
      ? undefined
      : `${JSON.stringify(frame.text)} should get ${error.code}, got ${reply}`;
  }
  const outside = 'indices' in request && request.indices.some((i) => i >= size);
  if (parsed.op === 'ERR') {
    if (parsed.code === 'BAD_INDEX' && outside) return undefined;
    if (parsed.code === 'OVERFLOW' && request.op === 'ADD' && !outside) return undefined;
    return `${JSON.stringify(frame.text)} got ${reply}`;
  }
  if (outside)
    return `${JSON.stringify(frame.text)} names an index outside 0..${size - 1}, got ${reply}`;
  if (parsed.op !== request.op) return `${request.op} answered with ${reply}`;
  switch (request.op) {
    case 'CLR':
      return undefined;
    case 'PUT':
      return parsed.op === 'PUT' &&
        sameList(parsed.indices, request.indices) &&
        sameList(parsed.values, request.values)
        ? undefined
        : `${JSON.stringify(frame.text)} not echoed: ${reply}`;
    case 'GET':
      return parsed.op === 'GET' &&
        sameList(parsed.indices, request.indices) &&
        parsed.values.length === request.indices.length
        ? undefined
        : `${JSON.stringify(frame.text)} got ${reply}`;
    case 'ADD':
      return parsed.op === 'ADD' && sameList(parsed.indices, request.indices)
        ? undefined
        : `${JSON.stringify(frame.text)} got ${reply}`;
  }
}

/** Generates `count` inputs from `arbitrary`, reproducibly from `seed`. */
export function sample<T>(arbitrary: fc.Arbitrary<T>, count: number, seed: number): T[] {
  return fc.sample(arbitrary, { numRuns: count, seed });
}
