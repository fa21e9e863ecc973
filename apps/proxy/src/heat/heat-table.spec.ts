import { seededRandom } from '@semicache/client';
import { HeatTable } from './heat-table';

const counts = (table: HeatTable, index: number) =>
  table.top(table.limit).find((entry) => entry.index === index);

describe('HeatTable', () => {
  it('counts every index exactly while no more than `limit` distinct ones arrive', () => {
    const table = new HeatTable(4);
    table.lookedUp(1, false, 100);
    table.lookedUp(1, true, 200);
    table.lookedUp(2, false, 150);
    table.written(3, 300);
    table.written(1, 400);
    table.evicted(2);
    table.evicted(9); // never seen: nothing to count
    expect(table.top(10)).toEqual([
      {
        index: 1,
        lookups: 2,
        hits: 1,
        misses: 1,
        writes: 1,
        evictions: 0,
        lastAccess: 400,
        lookupsError: 0,
      },
      {
        index: 2,
        lookups: 1,
        hits: 0,
        misses: 1,
        writes: 0,
        evictions: 1,
        lastAccess: 150,
        lookupsError: 0,
      },
      {
        index: 3,
        lookups: 0,
        hits: 0,
        misses: 0,
        writes: 1,
        evictions: 0,
        lastAccess: 300,
        lookupsError: 0,
      },
    ]);
    expect([table.size, table.exact]).toEqual([3, true]);
  });

  it('ranks by lookups, then by index, and gives copies', () => {
    const table = new HeatTable(10);
    for (const index of [5, 3, 5, 4, 3, 5]) table.lookedUp(index, true, 0);
    expect(table.top(2).map((entry) => [entry.index, entry.lookups])).toEqual([
      [5, 3],
      [3, 2],
    ]);
    (table.top(1)[0] as { lookups: number }).lookups = 99;
    expect(table.top(1)[0].lookups).toBe(3);
  });

  it('past `limit` indices, replaces the coldest and counts what it may overstate', () => {
    const table = new HeatTable(3);
    for (let i = 0; i < 5; i++) table.lookedUp(1, true, 0);
    for (let i = 0; i < 3; i++) table.lookedUp(2, true, 0);
    table.lookedUp(3, false, 0);
    // Full: 4 takes the place of 3 (1 lookup) and starts from it.
    table.lookedUp(4, false, 50);
    expect(counts(table, 3)).toBeUndefined();
    expect(counts(table, 4)).toMatchObject({ lookups: 2, misses: 1, hits: 0, lookupsError: 1 });
    expect([table.size, table.exact]).toEqual([3, false]);
    // A write or eviction of an index a full table does not hold is not counted.
    table.written(7, 60);
    table.evicted(7);
    expect(counts(table, 7)).toBeUndefined();
  });

  it('keeps memory bounded and the heavy hitters in, however many indices arrive', () => {
    const table = new HeatTable(50);
    const random = seededRandom(7);
    const truth = new Map<number, number>();
    for (let n = 0; n < 100_000; n++) {
      // Every 4th lookup is one of five hot indices; the rest spread over a million.
      const index = n % 4 === 0 ? n % 5 : 1000 + Math.floor(random() * 1_000_000);
      truth.set(index, (truth.get(index) ?? 0) + 1);
      table.lookedUp(index, false, n);
    }
    expect(table.size).toBe(50);
    const top = table.top(5);
    expect(top.map((entry) => entry.index).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const entry of top) {
      // Space-Saving: never under the true count, and over by at most the error it reports.
      const real = truth.get(entry.index)!;
      expect(entry.lookups).toBeGreaterThanOrEqual(real);
      expect(entry.lookups - entry.lookupsError).toBeLessThanOrEqual(real);
    }
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new HeatTable(0)).toThrow(/positive limit/);
  });
});
