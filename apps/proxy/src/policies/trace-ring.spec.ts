import { type Trace, packTrace } from '@semicache/policies';
import { TraceRing } from './trace-ring';

const lookup = (key: number) => ({ kind: 'lookup', key }) as const;
const write = (key: number) => ({ kind: 'write', key }) as const;
const clear = { kind: 'clear' } as const;

describe('TraceRing', () => {
  it('holds every entry, oldest first, until it is full', () => {
    const ring = new TraceRing(4);
    expect(ring.packed()).toEqual(packTrace([]));
    ring.lookup(7);
    ring.write(2 ** 31 - 1);
    ring.clear();
    expect(ring.packed()).toEqual(packTrace([lookup(7), write(2 ** 31 - 1), clear]));
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
    expect(ring.packed()).toEqual(packTrace([write(3), lookup(4), clear]));
    expect({ total: ring.total, lookups: ring.lookups, complete: ring.complete }).toEqual({
      total: 5,
      lookups: 1,
      complete: false,
    });
    for (let key = 10; key < 17; key++) ring.lookup(key);
    expect(ring.packed()).toEqual(packTrace([14, 15, 16].map(lookup)));
    expect(ring.lookups).toBe(3);
  });

  it('gives a copy: what is recorded later does not change it', () => {
    const ring = new TraceRing(2);
    ring.lookup(1);
    ring.lookup(2);
    const before = ring.packed();
    ring.lookup(3);
    const expected: Trace = [lookup(1), lookup(2)];
    expect(before).toEqual(packTrace(expected));
  });
});
