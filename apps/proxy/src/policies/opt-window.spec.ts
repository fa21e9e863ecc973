import { belady, packTrace, parseTrace } from '@semicache/policies';
import { optWithin } from './opt-window';

const TRACE = parseTrace('1 2 3 4 5 6 2 3 4 5 6 1');
const snapshot = () => packTrace(TRACE);

describe('optWithin', () => {
  it('computes OPT at capacities 1..max, smallest first, as belady does, chunk by chunk', async () => {
    for (const chunk of [1, 5, 12, 1000]) {
      const run = await optWithin(snapshot, 8, 10_000, { chunk });
      expect(run.complete).toBe(true);
      expect(run.results).toEqual(belady(TRACE, [1, 2, 3, 4, 5, 6, 7, 8]));
    }
  });

  it('stops between two chunks once the budget is spent, within a capacity too, and says so', async () => {
    // Chunks of 5 entries: the look-ahead takes 3 + 3, each capacity 3. A clock that moves 1 ms
    // at each reading, one at the start and one after each chunk: 11 ms allow the look-ahead,
    // capacity 1 and the first chunk of capacity 2, not its end.
    let now = 0;
    const clock = () => now++;
    const run = await optWithin(snapshot, 8, 11, { clock, chunk: 5 });
    expect(run.complete).toBe(false);
    expect(run.results).toEqual(belady(TRACE, [1]));
  });

  it('starts the clock before it takes the trace', async () => {
    const readings: string[] = [];
    const clock = () => (readings.push('clock'), 0);
    await optWithin(() => (readings.push('trace'), packTrace(TRACE)), 1, 10, { clock });
    expect(readings.slice(0, 2)).toEqual(['clock', 'trace']);
  });

  it('computes nothing past a spent budget, not even capacity 1', async () => {
    const run = await optWithin(snapshot, 3, 0, { chunk: 4 });
    expect(run).toMatchObject({ results: [], complete: false });
  });
});
