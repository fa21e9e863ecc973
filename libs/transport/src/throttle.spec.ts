import { Throttle } from './throttle';

describe('Throttle', () => {
  let now = 0;
  const throttle = () => new Throttle(10_000, () => now);

  beforeEach(() => (now = 1_000_000));

  it('reports the first occurrence at once, then holds repeats back for the interval', () => {
    const repeats = throttle();
    expect(repeats.count()).toBe(1);
    now += 1;
    expect([repeats.count(), repeats.count(), repeats.count()]).toEqual([0, 0, 0]);
    expect(repeats.heldBack).toBe(3);
    now += 9_998;
    expect(repeats.count()).toBe(0);
    expect(repeats.heldBack).toBe(4);
  });

  it('reports once the interval has passed, with the count since the last report', () => {
    const repeats = throttle();
    repeats.count();
    for (let i = 0; i < 5; i++) repeats.count();
    now += 10_000;
    expect(repeats.count()).toBe(6);
    expect(repeats.heldBack).toBe(0);
    now += 10_000;
    expect(repeats.count()).toBe(1);
  });

  it('starts the interval again on restart, forgetting what it held back', () => {
    const repeats = throttle();
    repeats.count();
    repeats.count();
    now += 20_000;
    repeats.restart();
    expect(repeats.heldBack).toBe(0);
    now += 5_000;
    expect(repeats.count()).toBe(0);
    now += 5_000;
    expect(repeats.count()).toBe(2);
  });
});
