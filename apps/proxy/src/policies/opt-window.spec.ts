import { belady, parseTrace } from '@semicache/policies';
import { optWithin } from './opt-window';

const TRACE = parseTrace('1 2 3 4 5 6 2 3 4 5 6 1');

describe('optWithin', () => {
  it('computes OPT at capacities 1..max, smallest first, as belady does', async () => {
    const run = await optWithin(TRACE, 8, 10_000);
    expect(run.complete).toBe(true);
    expect(run.results).toEqual(belady(TRACE, [1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it('begins no further capacity once the budget is spent, and says so', async () => {
    // A clock that moves 10 ms at each reading, one before each capacity after the first: 10 ms
    // have passed before capacity 2, 20 before capacity 3, which a budget of 15 ms no longer allows.
    let now = 0;
    const clock = () => (now += 10);
    const run = await optWithin(TRACE, 8, 15, clock);
    expect(run.complete).toBe(false);
    expect(run.results.map((result) => result.capacity)).toEqual([1, 2]);
    expect(run.results).toEqual(belady(TRACE, [1, 2]));
  });

  it('always computes the first capacity, however small the budget', async () => {
    const run = await optWithin(TRACE, 3, 0);
    expect(run.results.map((result) => result.capacity)).toEqual([1]);
    expect(run.complete).toBe(false);
  });
});
