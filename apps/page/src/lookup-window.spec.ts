import type { Decision, DecisionEvent } from '@semicache/client/events-api';
import { LookupWindow, WINDOW_SECONDS } from './lookup-window';

const NOW = Date.parse('2026-11-29T12:01:00.500Z');

function event(isoTime: string, decisions: Decision[]): DecisionEvent {
  return {
    seq: 1,
    time: isoTime,
    app: 'proxy',
    conn: 1,
    op: 'GET',
    indices: [],
    outcome: 'ok',
    durationUs: 1,
    source: 'cache',
    decisions,
  };
}

describe('LookupWindow', () => {
  it('counts hits and misses by the second of their event, over the last minute', () => {
    const window = new LookupWindow();
    window.add([
      event('2026-11-29T12:01:00.100Z', [
        { kind: 'hit', index: 1 },
        { kind: 'miss', index: 2 },
        { kind: 'stored', index: 2, value: '0' },
      ]),
      event('2026-11-29T12:01:00.400Z', [{ kind: 'hit', index: 2 }]),
      event('2026-11-29T12:00:58.000Z', [{ kind: 'miss', index: 3 }]),
      // No lookup: a write counts nowhere.
      event('2026-11-29T12:00:59.000Z', [{ kind: 'written', index: 1, value: '5' }]),
    ]);
    const series = window.series(NOW);
    expect(series.seconds).toHaveLength(WINDOW_SECONDS);
    expect(series.seconds[WINDOW_SECONDS - 1]).toBe(Math.floor(NOW / 1000));
    expect(series.lookups.slice(-3)).toEqual([1, 0, 3]);
    expect(series.ratio.slice(-3)).toEqual([0, null, 2 / 3]);
    expect(window.totals(NOW)).toEqual({ hits: 2, lookups: 4 });
  });

  it('forgets what is older than a minute', () => {
    const window = new LookupWindow();
    window.add([event('2026-11-29T12:00:00.000Z', [{ kind: 'hit', index: 1 }])]);
    expect(window.totals(NOW)).toEqual({ hits: 0, lookups: 0 });
    expect(window.series(NOW).lookups.every((lookups) => lookups === 0)).toBe(true);
  });
});
