import type { DecisionEvent } from '@semicache/client';
import { stripVTControlCharacters } from 'node:util';
import { COLOURED, eventLine } from './event-line';

/** An event at local 12:00:01.123 (the line shows local time). */
function event(fields: Partial<DecisionEvent>): DecisionEvent {
  return {
    seq: 4521,
    time: new Date(2026, 10, 29, 12, 0, 1, 123).toISOString(),
    app: 'proxy',
    conn: 17,
    op: 'GET',
    indices: [1, 7],
    outcome: 'ok',
    durationUs: 812,
    source: 'upstream',
    decisions: [],
    ...fields,
  };
}

describe('eventLine', () => {
  it.each<[string, Partial<DecisionEvent>, string]>([
    [
      'a hit, a miss, its eviction and fill',
      {
        decisions: [
          { kind: 'hit', index: 1 },
          { kind: 'miss', index: 7, upstreamUs: 210 },
          { kind: 'evicted', index: 3, ageMs: 4200, reason: 'oldest' },
          { kind: 'stored', index: 7, value: '0' },
        ],
      },
      '12:00:01.123 #4521 GET 1,7  HIT 1 · MISS 7 (0.21 ms) · EVICT 3 (oldest, 4.2 s) · STORE 7',
    ],
    [
      'runs of a kind as one group; evictions one by one',
      {
        indices: [1, 2, 3, 4],
        decisions: [
          { kind: 'hit', index: 1 },
          { kind: 'hit', index: 2 },
          { kind: 'miss', index: 3, upstreamUs: 1500 },
          { kind: 'miss', index: 4, upstreamUs: 1500 },
          { kind: 'evicted', index: 8, ageMs: 850, reason: 'least-recent' },
          { kind: 'evicted', index: 9, ageMs: 90_000, reason: 'least-recent' },
          { kind: 'stored', index: 3, value: '-5' },
          { kind: 'skipped', index: 4, value: '6' },
        ],
      },
      '12:00:01.123 #4521 GET 1,2,3,4  HIT 1,2 · MISS 3,4 (1.50 ms) · EVICT 8 (least-recent, 850 ms) · ' +
        'EVICT 9 (least-recent, 1.5 min) · STORE 3 · SKIP 4 (a write raced the fetch)',
    ],
    [
      'a write, with values',
      {
        op: 'PUT',
        decisions: [
          { kind: 'written', index: 1, value: '10' },
          { kind: 'written', index: 7, value: '-70' },
        ],
      },
      '12:00:01.123 #4521 PUT 1,7  WRITE 1=10,7=-70',
    ],
    [
      'a clear: no indices',
      { op: 'CLR', indices: [], decisions: [{ kind: 'cleared', entries: 5 }] },
      '12:00:01.123 #4521 CLR  CLEAR (5 entries)',
    ],
    [
      'an error, with its code and message',
      {
        indices: [12],
        outcome: 'error',
        code: 'BAD_INDEX',
        message: 'index 12 is outside 0..9',
        decisions: [{ kind: 'miss', index: 12 }],
      },
      '12:00:01.123 #4521 GET 12  MISS 12  ERR BAD_INDEX: index 12 is outside 0..9',
    ],
    [
      'an unreadable message',
      { op: null, indices: [], outcome: 'error', code: 'BAD_SYNTAX' },
      '12:00:01.123 #4521 ?  ERR BAD_SYNTAX',
    ],
    [
      'a server read, and a huge request',
      {
        app: 'server',
        indices: [1, 2],
        omitted: { indices: 300, decisions: 0 },
        decisions: [
          { kind: 'read', index: 1, value: '5' },
          { kind: 'read', index: 2, value: '0' },
        ],
      },
      '12:00:01.123 #4521 GET 1,2,…(+300)  READ 1=5,2=0',
    ],
  ])('%s', (_name, fields, line) => {
    expect(eventLine(event(fields))).toBe(line);
  });

  it('colours the kinds when asked to (on a terminal)', () => {
    const line = eventLine(event({ decisions: [{ kind: 'hit', index: 1 }] }), COLOURED);
    // styleText may drop colours when the environment says so; the words stay the same.
    expect(stripVTControlCharacters(line)).toBe('12:00:01.123 #4521 GET 1,7  HIT 1');
  });
});
