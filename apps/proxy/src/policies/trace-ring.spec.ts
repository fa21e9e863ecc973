import { TraceRing } from './trace-ring';

describe('TraceRing', () => {
  it('holds every entry, oldest first, until it is full', () => {
    const ring = new TraceRing(4);
    expect(ring.entries()).toEqual([]);
    ring.lookup(7);
    ring.write(2 ** 31 - 1);
    ring.clear();
    expect(ring.entries()).toEqual([
      { kind: 'lookup', key: 7 },
      { kind: 'write', key: 2 ** 31 - 1 },
      { kind: 'clear' },
    ]);
    expect({ total: ring.total, lookups: ring.lookups, complete: ring.complete }).toEqual({
      total: 3,
      lookups: 1,
      complete: true,
    });
  });

  it('then keeps the last `size` entries, and counts the lookups among them', () => {
    const ring = new TraceRing(3);
    ring.lookup(1);
    ring.lookup(2);
    ring.write(3);
    ring.lookup(4); // 1 goes
    ring.clear(); // 2 goes
    expect(ring.entries()).toEqual([
      { kind: 'write', key: 3 },
      { kind: 'lookup', key: 4 },
      { kind: 'clear' },
    ]);
    expect({ total: ring.total, lookups: ring.lookups, complete: ring.complete }).toEqual({
      total: 5,
      lookups: 1,
      complete: false,
    });
    for (let key = 10; key < 17; key++) ring.lookup(key);
    expect(ring.entries().map((entry) => (entry.kind === 'clear' ? -1 : entry.key))).toEqual([
      14, 15, 16,
    ]);
    expect(ring.lookups).toBe(3);
  });
});
