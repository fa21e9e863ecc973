import { TraceError, parseTrace } from './index';

const event = (fields: Record<string, unknown>) =>
  JSON.stringify({ seq: 1, time: '2025-01-01T00:00:00.000Z', conn: 3, durationUs: 12, ...fields });

describe('parseTrace: NDJSON of decision events', () => {
  it('turns requests into lookups, writes and clears, in order, ignoring other fields', () => {
    const text = [
      event({
        op: 'GET',
        indices: [1, 7],
        outcome: 'ok',
        hit: [1],
        miss: [{ index: 7, upstreamUs: 210 }],
      }),
      event({ op: 'ADD', indices: [7, 7], outcome: 'ok' }),
      event({ op: 'PUT', indices: [2, 0], outcome: 'ok', written: [2, 0] }),
      event({ op: 'CLR', indices: [], outcome: 'ok' }),
      event({ op: 'GET', indices: [2147483647] }), // no outcome: taken as answered
    ].join('\n');
    expect(parseTrace(text)).toEqual([
      { kind: 'lookup', key: 1 },
      { kind: 'lookup', key: 7 },
      { kind: 'lookup', key: 7 },
      { kind: 'lookup', key: 7 },
      { kind: 'write', key: 2 },
      { kind: 'write', key: 0 },
      { kind: 'clear' },
      { kind: 'lookup', key: 2147483647 },
    ]);
  });

  it('skips failed requests, objects that are not requests, blank lines and CRLF endings', () => {
    const text = [
      '',
      event({ op: 'PUT', indices: [4], outcome: 'error', code: 'UPSTREAM_TIMEOUT', dropped: [4] }),
      event({ op: 'GET', indices: [12], outcome: 'error', code: 'BAD_INDEX' }),
      JSON.stringify({ kind: 'dropped', count: 12 }),
      `${event({ op: 'GET', indices: [5], outcome: 'ok' })}\r`,
      '   ',
    ].join('\n');
    expect(parseTrace(text)).toEqual([{ kind: 'lookup', key: 5 }]);
  });

  it('skips changes made outside any request (CONFIG, INVALIDATE) and unreadable messages', () => {
    const text = [
      event({ op: 'GET', indices: [1], outcome: 'ok' }),
      event({
        op: 'CONFIG',
        conn: null,
        indices: [],
        outcome: 'ok',
        decisions: [{ kind: 'evicted', index: 1, ageMs: 5, reason: 'oldest' }],
      }),
      event({ op: 'INVALIDATE', conn: null, indices: [], outcome: 'ok' }),
      event({ op: null, indices: [], outcome: 'error', code: 'BAD_OP' }),
      event({ op: 'GET', indices: [1], outcome: 'ok' }),
    ].join('\n');
    expect(parseTrace(text)).toEqual([
      { kind: 'lookup', key: 1 },
      { kind: 'lookup', key: 1 },
    ]);
  });

  it.each([
    [
      'a request listed in part',
      event({ op: 'GET', indices: [1, 2], omitted: { indices: 40, decisions: 0 } }),
      'line 1: the event lists only the first 2 of its 42 indices',
    ],
    [
      'not JSON',
      `${event({ op: 'GET', indices: [1] })}\n{"op":"GET",`,
      'line 2: not JSON: "{\\"op\\":\\"GET\\","',
    ],
    ['not an object', `${event({ op: 'CLR' })}\n[1,2]`, 'line 2: not a JSON object: "[1,2]"'],
    [
      'an unknown op',
      event({ op: 'DEL', indices: [1] }),
      'line 1: op "DEL" is not GET, ADD, PUT or CLR',
    ],
    ['indices not a list', event({ op: 'GET', indices: '1,2' }), 'line 1: "indices" is not a list'],
    ['a negative index', event({ op: 'PUT', indices: [3, -1] }), 'line 1: -1 is not an index'],
    [
      'an index too large',
      event({ op: 'GET', indices: [2 ** 31] }),
      'line 1: 2147483648 is not an index',
    ],
    ['a fractional index', event({ op: 'GET', indices: [1.5] }), 'line 1: 1.5 is not an index'],
    ['an index as a string', event({ op: 'GET', indices: ['1'] }), 'line 1: "1" is not an index'],
  ])('refuses %s, naming the line', (_, text, message) => {
    expect(() => parseTrace(text)).toThrow(TraceError);
    expect(() => parseTrace(text)).toThrow(message);
  });
});

describe('parseTrace: a plain list of indices', () => {
  it.each([
    ['indices separated by spaces', '1 2 3', [1, 2, 3]],
    ['indices separated by commas', '1,2,3', [1, 2, 3]],
    ['lines, tabs and stray separators', '\n 4,\t5 ,,6\r\n7\n', [4, 5, 6, 7]],
    ['the smallest and the largest index', '0 2147483647', [0, 2147483647]],
    ['white space only', '  \n', []],
  ])('reads %s, each index a lookup', (_, text, keys) => {
    expect(parseTrace(text)).toEqual(keys.map((key) => ({ kind: 'lookup', key })));
  });

  it.each([
    ['a word', '1 2\n3 x 4', 'line 2: "x" is not an index'],
    ['a negative number', '-1', 'line 1: "-1" is not an index'],
    ['a fraction', '1.5', 'line 1: "1.5" is not an index'],
    ['a number too large', '2147483648', 'line 1: "2147483648" is not an index'],
    [
      'a long token, cut short',
      `1\n${'9'.repeat(60)}`,
      `line 2: "${'9'.repeat(40)}…" is not an index`,
    ],
  ])('refuses %s, naming the line', (_, text, message) => {
    expect(() => parseTrace(text)).toThrow(message);
  });
});
