import fc from 'fast-check';
import { KeyIndex } from './key-index';
import {
  type ArcPolicy,
  EVICTION_POLICIES,
  type EvictionPolicyName,
  KeyCache,
  copyPolicy,
  createPolicy,
} from './index';

const RUNS = 100;

/**
 * Twelve keys spread over the index range: small ones (looked up directly), around the limit of
 * those, and large ones (hashed; some share a home slot in a small table).
 */
const KEYS = [0, 1, 2, 7, 16, 1024, 4095, 4096, 65536, 123456789, 2 ** 31 - 2, 2 ** 31 - 1];
const key = fc.constantFrom(...KEYS);
const capacity = fc.integer({ min: 1, max: 6 });

/** One operation of the cache's model (see KeyCache). */
type Op =
  | { op: 'lookup'; key: number; fillOnMiss: boolean }
  | { op: 'fill' | 'write' | 'remove'; key: number }
  | { op: 'clear' };
const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('lookup' as const), key, fillOnMiss: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constantFrom('fill' as const, 'write' as const), key }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);
const operations = fc.array(operation, { maxLength: 120, size: 'max' });

function run(cache: KeyCache, op: Op): void {
  if (op.op === 'lookup') cache.lookup(op.key, op.fillOnMiss);
  else if (op.op === 'clear') cache.clear();
  else cache[op.op](op.key);
}

// --- naive models: arrays, obviously right, slow ------------------------------------------------

/** What a cache asks of a policy, in the simplest form. */
interface Model {
  inserted(key: number): void;
  read(key: number): boolean;
  removed(key: number): void;
  cleared(): void;
  evict(): number | undefined;
  order(): number[];
}

interface Entry {
  key: number;
  /** LFU: uses; CLOCK, SIEVE: the bit. */
  mark: number;
  /** LFU: when it was last used. */
  at: number;
}

abstract class ArrayModel implements Model {
  entries: Entry[] = [];
  time = 0;
  inserted(key: number): void {
    this.entries.push({ key, mark: 0, at: ++this.time });
  }
  find(key: number): Entry | undefined {
    return this.entries.find((entry) => entry.key === key);
  }
  read(key: number): boolean {
    const entry = this.find(key);
    if (entry) this.use(entry);
    return entry !== undefined;
  }
  abstract use(entry: Entry): void;
  removed(key: number): void {
    this.entries = this.entries.filter((entry) => entry.key !== key);
  }
  cleared(): void {
    this.entries = [];
  }
  evict(): number | undefined {
    return this.entries.shift()?.key;
  }
  order(): number[] {
    return this.entries.map((entry) => entry.key);
  }
}

class FifoModel extends ArrayModel {
  use(): void {}
}

class LruModel extends ArrayModel {
  use(entry: Entry): void {
    this.entries = [...this.entries.filter((other) => other !== entry), entry];
  }
}

class ClockModel extends ArrayModel {
  use(entry: Entry): void {
    entry.mark = 1;
  }
  override evict(): number | undefined {
    while (this.entries.length > 0 && this.entries[0].mark === 1) {
      const second = this.entries.shift()!;
      second.mark = 0;
      this.entries.push(second);
    }
    return super.evict();
  }
  override order(): number[] {
    return [
      ...this.entries.filter((e) => e.mark === 0),
      ...this.entries.filter((e) => e.mark === 1),
    ].map((entry) => entry.key);
  }
}

class SieveModel extends ClockModel {
  /** The index of the hand in `entries` (oldest first), or null: start at the oldest. */
  hand: number | null = null;
  override removed(key: number): void {
    const at = this.entries.findIndex((entry) => entry.key === key);
    if (at < 0) return;
    this.entries.splice(at, 1);
    if (this.hand !== null && at < this.hand) this.hand--;
    if (this.hand !== null && this.hand >= this.entries.length) this.hand = null;
  }
  override cleared(): void {
    super.cleared();
    this.hand = null;
  }
  override evict(): number | undefined {
    if (this.entries.length === 0) return undefined;
    let at = this.hand ?? 0;
    while (this.entries[at].mark === 1) {
      this.entries[at].mark = 0;
      at = (at + 1) % this.entries.length;
    }
    const [victim] = this.entries.splice(at, 1);
    this.hand = at < this.entries.length ? at : null;
    return victim.key;
  }
  override order(): number[] {
    const start = this.hand ?? 0;
    const rotated = [...this.entries.slice(start), ...this.entries.slice(0, start)];
    return [...rotated.filter((e) => e.mark === 0), ...rotated.filter((e) => e.mark === 1)].map(
      (entry) => entry.key,
    );
  }
}

class LfuModel extends ArrayModel {
  use(entry: Entry): void {
    entry.mark++;
    entry.at = ++this.time;
  }
  override inserted(key: number): void {
    this.entries.push({ key, mark: 1, at: ++this.time });
  }
  override evict(): number | undefined {
    const [victim] = this.sorted();
    this.removed(victim?.key);
    return victim?.key;
  }
  override order(): number[] {
    return this.sorted().map((entry) => entry.key);
  }
  sorted(): Entry[] {
    return [...this.entries].sort((a, b) => a.mark - b.mark || a.at - b.at);
  }
}

const MODELS: Record<Exclude<EvictionPolicyName, 'arc'>, () => Model> = {
  fifo: () => new FifoModel(),
  lru: () => new LruModel(),
  clock: () => new ClockModel(),
  sieve: () => new SieveModel(),
  lfu: () => new LfuModel(),
};

/**
 * ARC exactly as the paper's pseudocode (Megiddo and Modha, FAST '03, Fig. 4) handles a request:
 * a lookup that is stored at once when it misses.
 */
class ArcModel {
  t1: number[] = [];
  t2: number[] = [];
  b1: number[] = [];
  b2: number[] = [];
  p = 0;
  constructor(readonly c: number) {}

  request(x: number): boolean {
    const without = (list: number[]) => list.filter((key) => key !== x);
    if (this.t1.includes(x) || this.t2.includes(x)) {
      this.t1 = without(this.t1);
      this.t2 = [...without(this.t2), x];
      return true;
    }
    if (this.b1.includes(x)) {
      this.p = Math.min(
        this.c,
        this.p + (this.b1.length >= this.b2.length ? 1 : this.b2.length / this.b1.length),
      );
      this.replace(x);
      this.b1 = without(this.b1);
      this.t2.push(x);
    } else if (this.b2.includes(x)) {
      this.p = Math.max(
        0,
        this.p - (this.b2.length >= this.b1.length ? 1 : this.b1.length / this.b2.length),
      );
      this.replace(x);
      this.b2 = without(this.b2);
      this.t2.push(x);
    } else {
      const l1 = this.t1.length + this.b1.length;
      const total = l1 + this.t2.length + this.b2.length;
      if (l1 === this.c) {
        if (this.t1.length < this.c) {
          this.b1.shift();
          this.replace(x);
        } else {
          this.t1.shift();
        }
      } else if (total >= this.c) {
        if (total === 2 * this.c) this.b2.shift();
        this.replace(x);
      }
      this.t1.push(x);
    }
    return false;
  }

  replace(x: number): void {
    const t1 = this.t1.length;
    if (t1 >= 1 && ((this.b2.includes(x) && t1 === this.p) || t1 > this.p))
      this.b1.push(this.t1.shift()!);
    else this.b2.push(this.t2.shift()!);
  }

  clear(): void {
    this.t1 = [];
    this.t2 = [];
    this.b1 = [];
    this.b2 = [];
    this.p = 0;
  }
}

const sorted = (keys: Iterable<number>) => [...keys].sort((a, b) => a - b);

describe('each policy against a naive model', () => {
  it.each(Object.keys(MODELS) as (keyof typeof MODELS)[])(
    '%s: the same answers, victims and order after every call',
    (name) => {
      fc.assert(
        fc.property(capacity, operations, (size, ops) => {
          const policy = createPolicy(name, size);
          const model = MODELS[name]();
          for (const op of ops) {
            if (op.op === 'clear') {
              policy.cleared();
              model.cleared();
            } else if (op.op === 'remove') {
              policy.removed(op.key);
              model.removed(op.key);
            } else {
              const wasCached = op.op === 'write' ? policy.written(op.key) : policy.read(op.key);
              expect(wasCached).toBe(model.read(op.key));
              if (!wasCached && op.op !== 'lookup') {
                const victim = model.order().length >= size ? model.evict() : undefined;
                expect(policy.insert(op.key)).toBe(victim);
                model.inserted(op.key);
              }
            }
            expect(policy.order()).toEqual(model.order());
          }
        }),
        { numRuns: RUNS },
      );
    },
  );

  it("arc: the same hits and cached keys as the paper's pseudocode, request by request", () => {
    const request = fc.oneof(
      { weight: 20, arbitrary: key },
      { weight: 1, arbitrary: fc.constant('clear' as const) },
    );
    fc.assert(
      fc.property(
        capacity,
        fc.array(request, { maxLength: 200, size: 'max' }),
        (size, requests) => {
          const cache = new KeyCache('arc', size);
          const model = new ArcModel(size);
          for (const next of requests) {
            if (next === 'clear') {
              cache.clear();
              model.clear();
              continue;
            }
            expect(cache.lookup(next, true)).toBe(model.request(next));
            expect(sorted(cache.policy.order())).toEqual(sorted([...model.t1, ...model.t2]));
            expect((cache.policy as ArcPolicy).target).toBe(model.p);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe.each(EVICTION_POLICIES)('%s, whatever the operations', (name) => {
  it('never holds more than its capacity, and its order is a permutation of what it holds', () => {
    fc.assert(
      fc.property(capacity, operations, (size, ops) => {
        const cache = new KeyCache(name, size);
        for (const op of ops) {
          run(cache, op);
          const held = KEYS.filter((candidate) => cache.policy.has(candidate));
          expect(cache.policy.size).toBeLessThanOrEqual(size);
          expect(cache.policy.size).toBe(held.length);
          expect(sorted(cache.policy.order())).toEqual(held);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('gives as its order exactly the victims of successive evictions with no other access', () => {
    fc.assert(
      fc.property(capacity, operations, (size, ops) => {
        const cache = new KeyCache(name, size);
        ops.forEach((op) => run(cache, op));
        const order = cache.policy.order();
        const drained: (number | undefined)[] = [];
        while (cache.policy.size > 0) drained.push(cache.policy.evict());
        expect(drained).toEqual(order);
      }),
      { numRuns: RUNS },
    );
  });
});

describe.each(EVICTION_POLICIES)('%s, resized at any point', (name) => {
  it('evicts by its own rule (the first keys of its order) until it fits, then never holds more', () => {
    fc.assert(
      fc.property(capacity, operations, capacity, operations, (size, before, resized, after) => {
        const cache = new KeyCache(name, size);
        before.forEach((op) => run(cache, op));
        const order = cache.policy.order();
        const evicted = cache.policy.resize(resized);
        expect(evicted).toEqual(order.slice(0, Math.max(0, order.length - resized)));
        expect(cache.policy.capacity).toBe(resized);
        expect(sorted(cache.policy.order())).toEqual(sorted(order.slice(evicted.length)));
        for (const op of after) {
          run(cache, op);
          expect(cache.policy.size).toBeLessThanOrEqual(resized);
        }
        // Filled with keys it has not seen, it holds exactly the new capacity.
        for (let i = 0; i < resized + 1; i++) cache.fill(5000 + i);
        expect(cache.policy.size).toBe(resized);
      }),
      { numRuns: RUNS },
    );
  });

  it('copies its whole state: the copy, with more room, answers as a policy of that capacity fed the same would', () => {
    fc.assert(
      fc.property(capacity, operations, fc.nat(3), operations, (size, before, more, after) => {
        // Fed at `size` and at `size + more` alike, as long as the smaller never evicts.
        const small = new KeyCache(name, size);
        const large = new KeyCache(name, size + more);
        for (const op of before) {
          const inserts =
            op.op === 'fill' || op.op === 'write' || (op.op === 'lookup' && op.fillOnMiss);
          if (inserts && small.policy.size >= size && !small.policy.has(op.key)) break;
          run(small, op);
          run(large, op);
        }
        // A cache around the copy (its counts start at 0: compared from here on).
        const copied = Object.assign(new KeyCache(name, 1), {
          policy: copyPolicy(small.policy, size + more),
        });
        const counted = { hits: large.hits, misses: large.misses };
        expect(copied.capacity).toBe(size + more);
        expect(copied.policy.order()).toEqual(large.policy.order());
        for (const op of after) {
          run(copied, op);
          run(large, op);
          expect(copied.policy.order()).toEqual(large.policy.order());
        }
        expect([copied.hits, copied.misses]).toEqual([
          large.hits - counted.hits,
          large.misses - counted.misses,
        ]);
      }),
      { numRuns: RUNS },
    );
  });

  it('a copy is independent of the original', () => {
    const original = createPolicy(name, 3);
    original.insert(1);
    original.insert(2);
    const copy = copyPolicy(original, 5);
    copy.insert(3);
    copy.read(1);
    copy.removed(2);
    original.insert(4);
    expect(original.order().sort()).toEqual([1, 2, 4]);
    expect(copy.order().sort()).toEqual([1, 3]);
    expect(() => copyPolicy(copy, 1)).toThrow(RangeError);
  });

  it('rejects a capacity that is not a positive integer, and keeps its keys', () => {
    const policy = createPolicy(name, 3);
    policy.insert(1);
    for (const bad of [0, -1, 2.5, Number.NaN])
      expect(() => policy.resize(bad)).toThrow(RangeError);
    expect(policy.capacity).toBe(3);
    expect(policy.order()).toEqual([1]);
  });
});

describe('KeyIndex', () => {
  it('answers as a Map does, through growth and backward-shift deletion', () => {
    const spreadKey = fc.oneof(
      fc.constantFrom(...KEYS),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 4000, max: 4200 }),
      fc.nat(64),
    );
    const step = fc.oneof(
      fc.tuple(fc.constant('set' as const), spreadKey, fc.nat(1000)),
      fc.tuple(fc.constant('delete' as const), spreadKey),
      fc.constant(['clear'] as const),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300, size: 'max' }), (steps) => {
        const index = new KeyIndex();
        const map = new Map<number, number>();
        for (const [kind, k, node] of steps) {
          if (kind === 'set') {
            index.set(k, node);
            map.set(k, node);
          } else if (kind === 'delete') {
            index.delete(k);
            map.delete(k);
          } else {
            index.clear();
            map.clear();
          }
          expect(index.size).toBe(map.size);
        }
        for (const [k, node] of map) expect(index.get(k)).toBe(node);
        for (const k of KEYS) expect(index.get(k)).toBe(map.get(k) ?? -1);
      }),
      { numRuns: RUNS },
    );
  });
});
