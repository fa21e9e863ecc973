/**
 * Codec fuzzing at high run counts (issue 7): binary strings and mutated
 * valid messages (byte flips, insertions, deletions, truncations, duplicated separators, hostile
 * tokens such as NUL, invalid UTF-8 and huge numbers) through parseRequest, parseReply and the
 * FrameDecoder. The result is always a message or a ProtocolError with a known code and a
 * one-line MSG, never anything else; an accepted message is printable ASCII and its canonical
 * form parses back to it; the decoder cut anywhere gives the frames the framing model gives.
 *
 * (libs/protocol/src/codec.property.spec.ts holds the same kind of properties at 5000 runs as a
 * unit test; this file runs them on mutated input, 260k runs in all. Jazzer.js does not load on
 * this glibc, hence fast-check.)
 */
import fc from 'fast-check';
import {
  ERROR_CODES,
  FrameDecoder,
  type Frame,
  ProtocolError,
  parseReply,
  parseRequest,
  serializeReply,
  serializeRequest,
} from '@semicache/protocol';
import { recordFigures } from './support/figures';
import {
  HOSTILE_TOKENS,
  type ModelFrame,
  binaryBytes,
  cut,
  framesOf,
  judgeReply,
  mutated,
  validReplyBytes,
  validRequestBytes,
} from './support/fuzz';

jest.setTimeout(120_000);

const SEED = 0x7e11ab1e;
const RUNS = {
  binaryBytes: 60_000,
  unicodeStrings: 20_000,
  mutatedRequests: 100_000,
  mutatedReplies: 40_000,
  decoderStreams: 40_000,
} as const;

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const ONE_LINE_WITHOUT_SEMICOLON = /^[\x20-\x3a\x3c-\x7e]+$/;
const PRINTABLE_OR_TAB = /^[\x20-\x7e\t]*$/;

/** Outcomes seen, by parser: "accepted" or the error code. */
const outcomes = { request: new Map<string, number>(), reply: new Map<string, number>() };
let parsed = 0;
/** Properties that held (so a failed run does not record a clean figure). */
let passed = 0;

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Parses `text` with `parse`; throws (failing the property, with fast-check's counterexample) if
 * the outcome is anything but a message whose canonical form parses back to it, or a
 * ProtocolError with a known code and a one-line MSG without `;`.
 */
function checkTotal<M>(
  which: 'request' | 'reply',
  parse: (text: string) => M,
  serialize: (message: M) => string,
  text: string,
): void {
  parsed++;
  let message: M;
  try {
    message = parse(text);
  } catch (error) {
    if (!(error instanceof ProtocolError)) {
      throw new Error(`parse${which} threw a non-ProtocolError: ${String(error)}`);
    }
    if (!KNOWN_CODES.has(error.code)) throw new Error(`unknown code ${error.code}`);
    if (!ONE_LINE_WITHOUT_SEMICOLON.test(error.message)) {
      throw new Error(`malformed MSG for ${error.code}: ${JSON.stringify(error.message)}`);
    }
    count(outcomes[which], error.code);
    return;
  }
  if (!PRINTABLE_OR_TAB.test(text)) throw new Error(`accepted a byte that is not printable`);
  const canonical = serialize(message);
  if (serialize(parse(canonical)) !== canonical) {
    throw new Error(`canonical form ${canonical} does not parse back to itself`);
  }
  count(outcomes[which], 'accepted');
}

function checkBoth(bytes: Buffer): void {
  // The server decodes bytes as latin1 (one char per byte) before parsing.
  const text = bytes.toString('latin1');
  checkTotal('request', (t) => parseRequest(t), serializeRequest, text);
  checkTotal('reply', parseReply, serializeReply, text);
}

function seen(frame: Frame): ModelFrame {
  return frame.kind === 'message' ? { text: frame.text } : { tooLong: true };
}

const streamPiece: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: mutated(validRequestBytes) },
  { weight: 2, arbitrary: validRequestBytes },
  {
    weight: 2,
    arbitrary: fc.constantFrom('\n', '\r\n', '\r', '\n\n', ';').map((t) => Buffer.from(t)),
  },
  { weight: 1, arbitrary: binaryBytes },
  { weight: 1, arbitrary: fc.nat({ max: 400 }).map((length) => Buffer.alloc(length, '7')) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_TOKENS) },
);
/** A stream of pieces, always ending with a line feed (so every frame in it is complete). */
const stream = fc
  .array(streamPiece, { maxLength: 25 })
  .map((pieces) => Buffer.concat([...pieces, Buffer.from('\n')]));

const figures: Record<string, number> = {};

describe('codec fuzzing (fast-check, high run counts)', () => {
  afterAll(() => {
    const total = Object.values(RUNS).reduce((a, b) => a + b, 0);
    recordFigures('codec fuzzing', {
      seed: SEED,
      runs: total,
      ...Object.fromEntries(Object.entries(RUNS).map(([name, runs]) => [`runs.${name}`, runs])),
      parses: parsed,
      ...figures,
      requestOutcomes: JSON.stringify(Object.fromEntries(outcomes.request)),
      replyOutcomes: JSON.stringify(Object.fromEntries(outcomes.reply)),
      propertiesPassed: passed,
    });
  });

  it(`random bytes through parseRequest and parseReply (${RUNS.binaryBytes} runs)`, () => {
    fc.assert(fc.property(binaryBytes, checkBoth), { numRuns: RUNS.binaryBytes, seed: SEED });
    passed++;
  });

  it(`random Unicode strings through both parsers (${RUNS.unicodeStrings} runs)`, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        checkTotal('request', (t) => parseRequest(t), serializeRequest, text);
        checkTotal('reply', parseReply, serializeReply, text);
      }),
      { numRuns: RUNS.unicodeStrings, seed: SEED + 1 },
    );
    passed++;
  });

  it(`mutated valid requests through both parsers (${RUNS.mutatedRequests} runs)`, () => {
    fc.assert(fc.property(mutated(validRequestBytes), checkBoth), {
      numRuns: RUNS.mutatedRequests,
      seed: SEED + 2,
    });
    passed++;
  });

  it(`mutated valid replies through both parsers (${RUNS.mutatedReplies} runs)`, () => {
    fc.assert(fc.property(mutated(validReplyBytes), checkBoth), {
      numRuns: RUNS.mutatedReplies,
      seed: SEED + 3,
    });
    passed++;
  });

  it(`FrameDecoder, cut anywhere, frames as the model says; every frame parses totally (${RUNS.decoderStreams} runs)`, () => {
    let frames = 0;
    let tooLong = 0;
    let bytes = 0;
    fc.assert(
      fc.property(
        stream,
        fc.constantFrom(16, 64, 256, 65536),
        fc.array(fc.nat(), { maxLength: 40 }),
        (input, maxLength, positions) => {
          const decoder = new FrameDecoder(maxLength);
          const out: Frame[] = [];
          for (const chunk of cut(input, positions)) decoder.push(chunk, out);
          if (decoder.hasPending) throw new Error('bytes left pending after the final line feed');
          if (decoder.flushPending() !== undefined)
            throw new Error('a frame after the final line feed');
          const got = out.map(seen);
          const want = framesOf(input, maxLength);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(
              `frames ${JSON.stringify(got)} but the model says ${JSON.stringify(want)}`,
            );
          }
          bytes += input.length;
          for (const frame of out) {
            frames++;
            if (frame.kind === 'error') {
              tooLong++;
              if (frame.error.code !== 'TOO_LONG')
                throw new Error(`frame error ${frame.error.code}`);
              continue;
            }
            if (frame.text.length > maxLength || frame.text.includes('\n')) {
              throw new Error(`frame of ${frame.text.length} bytes or with a line feed`);
            }
            checkTotal('request', (t) => parseRequest(t), serializeRequest, frame.text);
          }
        },
      ),
      { numRuns: RUNS.decoderStreams, seed: SEED + 4 },
    );
    passed++;
    figures['decoder.framesChecked'] = frames;
    figures['decoder.tooLongFrames'] = tooLong;
    figures['decoder.bytes'] = bytes;
    expect(tooLong).toBeGreaterThan(0);
  });

  it('the fuzzing reached every outcome: accepted, and each request error code', () => {
    // Otherwise the inputs would be too tame to mean anything.
    expect([...outcomes.request.keys()].sort()).toEqual(
      expect.arrayContaining([
        'accepted',
        'BAD_SYNTAX',
        'UNKNOWN_OP',
        'BAD_INDEX',
        'BAD_DATA',
        'COUNT_MISMATCH',
        'TOO_MANY',
        'OVERFLOW',
      ]),
    );
    expect(outcomes.reply.get('accepted') ?? 0).toBeGreaterThan(1000);
  });

  it('the oracle the live fuzzing uses accepts right answers and catches wrong ones', () => {
    const right: Array<[ModelFrame, string]> = [
      [{ text: 'OP=PUT;IND=1;DATA=-5;' }, 'OP=PUT;IND=1;DATA=-5;'],
      [{ text: 'op = get ; ind = 2,2' }, 'OP=GET;IND=2,2;DATA=0,0;'],
      [{ text: 'OP=GET;IND=12;' }, 'OP=ERR;CODE=BAD_INDEX;MSG=index 12 is outside 0..9;'],
      [{ text: 'OP=ADD;IND=1,2;' }, 'OP=ERR;CODE=OVERFLOW;MSG=sum overflows;'],
      [{ text: 'OP=GET;IND=1\0;' }, 'OP=ERR;CODE=BAD_SYNTAX;MSG=x;'],
      [{ tooLong: true }, 'OP=ERR;CODE=TOO_LONG;MSG=x;'],
    ];
    const wrong: Array<[ModelFrame, string]> = [
      [{ text: 'OP=PUT;IND=1;DATA=-5;' }, 'OP=PUT;IND=1;DATA=5;'], // not echoed
      [{ text: 'OP=GET;IND=2,2' }, 'OP=GET;IND=2;DATA=0;'], // wrong shape
      [{ text: 'OP=GET;IND=2;' }, 'OP=ERR;CODE=BAD_INDEX;MSG=x;'], // inside the table
      [{ text: 'OP=GET;IND=12;' }, 'OP=GET;IND=12;DATA=0;'], // outside the table
      [{ text: 'OP=GET;IND=x;' }, 'OP=ERR;CODE=BAD_SYNTAX;MSG=x;'], // the codec says BAD_INDEX
      [{ text: 'OP=GET;IND=1;' }, 'OP=ERR;CODE=INTERNAL;MSG=x;'],
      [{ text: 'OP=GET;IND=1;' }, 'OP=ERR;CODE=NOPE;MSG=x;'], // unknown code
      [{ text: 'OP=GET;IND=1;' }, 'OP=GET;IND=1;DATA=1;;'], // does not parse
      [{ tooLong: true }, 'OP=ERR;CODE=BAD_SYNTAX;MSG=x;'],
    ];
    expect(right.map(([frame, reply]) => judgeReply(frame, reply, 10))).toEqual(
      right.map(() => undefined),
    );
    for (const [frame, reply] of wrong) {
      expect({ reply, problem: judgeReply(frame, reply, 10) }).toEqual({
        reply,
        problem: expect.any(String),
      });
    }
  });
});
