import {
  ArcPolicy,
  EVICTION_POLICIES,
  EVICTION_REASONS,
  type EvictionPolicy,
  type EvictionPolicyName,
  HandPolicy,
  LfuPolicy,
  QueuePolicy,
  createPolicy,
} from './index';

/** One call on the policy, as the cache makes them. */
type Step =
  | ['insert', number]
  | ['read', number]
  | ['written', number]
  | ['removed', number]
  | ['cleared']
  | ['evict'];

interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
  /** The eviction order (next victim first) each policy must end with; `all` for every policy. */
  readonly expected: Partial<Record<EvictionPolicyName | 'all', readonly number[]>>;
}

const ins = (...keys: number[]): Step[] => keys.map((key): Step => ['insert', key]);

/**
 * Every scenario runs against every policy, with room for 8 keys (nothing forces an eviction).
 * Where they differ is the point of the row: FIFO ignores uses; the others let a used key
 * outlast unused ones, LRU by the order of uses, LFU by their number.
 */
const SCENARIOS: readonly Scenario[] = [
  { name: 'nothing stored', steps: [], expected: { all: [] } },
  { name: 'inserts only: oldest first', steps: ins(1, 2, 3), expected: { all: [1, 2, 3] } },
  {
    name: 'reading the oldest',
    steps: [...ins(1, 2, 3), ['read', 1]],
    expected: { fifo: [1, 2, 3], all: [2, 3, 1] },
  },
  {
    name: 'reading the newest',
    steps: [...ins(1, 2, 3), ['read', 3]],
    expected: { all: [1, 2, 3] },
  },
  {
    name: 'reading two, oldest first',
    steps: [...ins(1, 2, 3), ['read', 1], ['read', 2]],
    expected: { fifo: [1, 2, 3], all: [3, 1, 2] },
  },
  {
    name: 'a key read twice, then another once: LRU and ARC by recency, LFU by count, CLOCK and SIEVE by position',
    steps: [...ins(1, 2, 3), ['read', 2], ['read', 2], ['read', 1]],
    expected: { fifo: [1, 2, 3], lru: [3, 2, 1], arc: [3, 2, 1], all: [3, 1, 2] },
  },
  {
    name: 'writing a middle key counts as a use',
    steps: [...ins(1, 2, 3), ['written', 2]],
    expected: { fifo: [1, 2, 3], all: [1, 3, 2] },
  },
  {
    name: 'writing then reading',
    steps: [...ins(1, 2, 3, 4), ['written', 1], ['read', 2]],
    expected: { fifo: [1, 2, 3, 4], all: [3, 4, 1, 2] },
  },
  {
    name: 'removing the middle key',
    steps: [...ins(1, 2, 3), ['removed', 2]],
    expected: { all: [1, 3] },
  },
  {
    name: 'removing a key that was read',
    steps: [...ins(1, 2, 3), ['read', 1], ['removed', 1]],
    expected: { all: [2, 3] },
  },
  {
    name: 'removing an unknown key',
    steps: [...ins(1, 2), ['removed', 9]],
    expected: { all: [1, 2] },
  },
  {
    name: 'a removed key inserted again is the newest and forgets its uses',
    steps: [...ins(1, 2, 3), ['read', 1], ['read', 1], ['removed', 1], ['insert', 1]],
    expected: { all: [2, 3, 1] },
  },
  {
    name: 'cleared',
    steps: [...ins(1, 2, 3), ['read', 1], ['cleared']],
    expected: { all: [] },
  },
  {
    name: 'cleared then used again',
    steps: [...ins(1, 2, 3), ['read', 2], ['cleared'], ...ins(3, 1), ['read', 3]],
    expected: { fifo: [3, 1], all: [1, 3] },
  },
  {
    // CLOCK moved 1 behind its hand when it cleared its bit; SIEVE left 1 where it was and its
    // hand goes on from 3; LFU and ARC put the new key before the key used twice.
    name: 'evicting the next victim, then a new key',
    steps: [...ins(1, 2, 3), ['read', 1], ['evict'], ['insert', 4]],
    expected: { fifo: [2, 3, 4], lru: [3, 1, 4], clock: [3, 1, 4], all: [3, 4, 1] },
  },
  {
    name: 'evicting from an empty policy does nothing',
    steps: [['evict'], ...ins(1)],
    expected: { all: [1] },
  },
];

function apply(policy: EvictionPolicy, steps: readonly Step[]): (number | undefined)[] {
  const evicted: (number | undefined)[] = [];
  for (const step of steps) {
    if (step[0] === 'cleared') policy.cleared();
    else if (step[0] === 'evict') evicted.push(policy.evict());
    else policy[step[0]](step[1]);
  }
  return evicted;
}

describe.each(EVICTION_POLICIES)('%s eviction policy', (name) => {
  it.each(SCENARIOS)('$name', ({ steps, expected }) => {
    const policy = createPolicy(name, 8);
    apply(policy, steps);
    const order = expected[name] ?? expected.all;
    expect(policy.order()).toEqual(order);
    expect(policy.size).toBe(order!.length);
    for (const key of order!) expect(policy.has(key)).toBe(true);
  });

  it('evicts the head of its order, and forgets it', () => {
    const policy = createPolicy(name, 8);
    apply(policy, [...ins(5, 6, 7), ['read', 5], ['read', 7]]);
    const [next] = policy.order();
    expect(policy.evict()).toBe(next);
    expect(policy.has(next)).toBe(false);
    expect(policy.size).toBe(2);
    expect(policy.read(next)).toBe(false);
  });

  it('answers reads and writes with whether the key is cached', () => {
    const policy = createPolicy(name, 8);
    apply(policy, ins(1));
    expect([policy.read(1), policy.written(1), policy.read(2), policy.written(2)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(policy.order()).toEqual([1]);
  });

  it('refuses to insert a key it already holds', () => {
    const policy = createPolicy(name, 8);
    policy.insert(3);
    expect(() => policy.insert(3)).toThrow('key 3 is already cached');
  });

  it('evicts the head of its order when an insert finds it full, and returns it', () => {
    const policy = createPolicy(name, 3);
    expect(apply(policy, [...ins(1, 2, 3), ['read', 1]])).toEqual([]);
    const [next] = policy.order();
    expect(policy.insert(4)).toBe(next);
    expect(policy.size).toBe(3);
    expect(policy.has(next)).toBe(false);
    expect(policy.has(4)).toBe(true);
  });

  it('holds keys across the whole index range, and many of them', () => {
    const policy = createPolicy(name, 5000);
    const keys = [0, 2 ** 31 - 1, ...Array.from({ length: 3000 }, (_, i) => i * 7919 + 1)];
    apply(policy, ins(...keys));
    expect(policy.size).toBe(keys.length);
    expect(policy.order()).toEqual(keys);
    for (const key of keys) policy.removed(key);
    expect(policy.size).toBe(0);
    expect(policy.order()).toEqual([]);
  });

  it('is named after the flag value that selects it, with the rule it evicts by', () => {
    const policy = createPolicy(name, 1);
    expect(policy.name).toBe(name);
    expect(policy.reason).toBe(EVICTION_REASONS[name][0]);
  });
});

describe('createPolicy', () => {
  it('makes each policy by name', () => {
    expect(createPolicy('fifo', 1)).toBeInstanceOf(QueuePolicy);
    expect(createPolicy('lru', 1)).toBeInstanceOf(QueuePolicy);
    expect(createPolicy('clock', 1)).toBeInstanceOf(HandPolicy);
    expect(createPolicy('sieve', 1)).toBeInstanceOf(HandPolicy);
    expect(createPolicy('lfu', 1)).toBeInstanceOf(LfuPolicy);
    expect(createPolicy('arc', 1)).toBeInstanceOf(ArcPolicy);
  });

  it('gives each its capacity, and refuses one that is not a positive integer', () => {
    for (const name of EVICTION_POLICIES) {
      expect(createPolicy(name, 7).capacity).toBe(7);
      for (const capacity of [0, -1, 1.5, NaN]) {
        expect(() => createPolicy(name, capacity)).toThrow(RangeError);
      }
    }
  });

  it('gives independent instances', () => {
    for (const name of EVICTION_POLICIES) {
      const first = createPolicy(name, 4);
      const second = createPolicy(name, 4);
      first.insert(1);
      expect(second.order()).toEqual([]);
    }
  });
});
