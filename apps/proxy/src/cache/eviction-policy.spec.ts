import {
  EVICTION_POLICIES,
  type EvictionPolicy,
  type EvictionPolicyName,
  FifoPolicy,
  LruPolicy,
  createPolicy,
} from './eviction-policy';

/** One call on the policy, as the cache makes them. */
type Step =
  ['inserted', number] | ['read', number] | ['written', number] | ['removed', number] | ['cleared'];

interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
  /** The eviction order (next victim first) each policy must end with. */
  readonly expected: Readonly<Record<EvictionPolicyName, readonly number[]>>;
}

const ins = (...keys: number[]): Step[] => keys.map((key): Step => ['inserted', key]);

/** Every scenario runs against both policies; where they differ is the point of the row. */
const SCENARIOS: readonly Scenario[] = [
  { name: 'nothing stored', steps: [], expected: { fifo: [], lru: [] } },
  { name: 'inserts only', steps: ins(1, 2, 3), expected: { fifo: [1, 2, 3], lru: [1, 2, 3] } },
  {
    name: 'reading the oldest',
    steps: [...ins(1, 2, 3), ['read', 1]],
    expected: { fifo: [1, 2, 3], lru: [2, 3, 1] },
  },
  {
    name: 'reading the newest',
    steps: [...ins(1, 2, 3), ['read', 3]],
    expected: { fifo: [1, 2, 3], lru: [1, 2, 3] },
  },
  {
    name: 'reading two, oldest first',
    steps: [...ins(1, 2, 3), ['read', 1], ['read', 2]],
    expected: { fifo: [1, 2, 3], lru: [3, 1, 2] },
  },
  {
    name: 'reading the same key twice',
    steps: [...ins(1, 2, 3), ['read', 2], ['read', 1], ['read', 2]],
    expected: { fifo: [1, 2, 3], lru: [3, 1, 2] },
  },
  {
    name: 'writing a middle key',
    steps: [...ins(1, 2, 3), ['written', 2]],
    expected: { fifo: [1, 2, 3], lru: [1, 3, 2] },
  },
  {
    name: 'writing then reading',
    steps: [...ins(1, 2, 3, 4), ['written', 1], ['read', 2]],
    expected: { fifo: [1, 2, 3, 4], lru: [3, 4, 1, 2] },
  },
  {
    name: 'removing the middle key',
    steps: [...ins(1, 2, 3), ['removed', 2]],
    expected: { fifo: [1, 3], lru: [1, 3] },
  },
  {
    name: 'removing a key that was read',
    steps: [...ins(1, 2, 3), ['read', 1], ['removed', 1]],
    expected: { fifo: [2, 3], lru: [2, 3] },
  },
  {
    name: 'removing an unknown key',
    steps: [...ins(1, 2), ['removed', 9]],
    expected: { fifo: [1, 2], lru: [1, 2] },
  },
  {
    name: 'a removed key inserted again is the newest',
    steps: [...ins(1, 2, 3), ['removed', 1], ['inserted', 1]],
    expected: { fifo: [2, 3, 1], lru: [2, 3, 1] },
  },
  {
    name: 'cleared',
    steps: [...ins(1, 2, 3), ['read', 1], ['cleared']],
    expected: { fifo: [], lru: [] },
  },
  {
    name: 'cleared then used again',
    steps: [...ins(1, 2, 3), ['cleared'], ...ins(3, 1), ['read', 3]],
    expected: { fifo: [3, 1], lru: [1, 3] },
  },
  {
    name: 'the victim evicted (removed) as the cache does, then a new key',
    steps: [...ins(1, 2, 3), ['read', 1], ['removed', 1], ['inserted', 4]],
    expected: { fifo: [2, 3, 4], lru: [2, 3, 4] },
  },
];

function apply(policy: EvictionPolicy, steps: readonly Step[]): void {
  for (const step of steps) {
    switch (step[0]) {
      case 'inserted':
        policy.inserted(step[1]);
        break;
      case 'read':
        policy.read(step[1]);
        break;
      case 'written':
        policy.written(step[1]);
        break;
      case 'removed':
        policy.removed(step[1]);
        break;
      case 'cleared':
        policy.cleared();
        break;
    }
  }
}

describe.each(EVICTION_POLICIES)('%s eviction policy', (name) => {
  it.each(SCENARIOS)('$name', ({ steps, expected }) => {
    const policy = createPolicy(name);
    apply(policy, steps);
    expect(Array.from(policy.order())).toEqual(expected[name]);
    // The victim is always the head of the order (undefined when empty).
    expect(policy.victim()).toBe(expected[name][0]);
  });

  it('is named after the flag value that selects it', () => {
    expect(createPolicy(name).name).toBe(name);
  });

  it('keeps its victim until that key is removed', () => {
    const policy = createPolicy(name);
    apply(policy, ins(5, 6));
    expect(policy.victim()).toBe(5);
    expect(policy.victim()).toBe(5);
    policy.removed(5);
    expect(policy.victim()).toBe(6);
    policy.removed(6);
    expect(policy.victim()).toBeUndefined();
  });
});

describe('createPolicy', () => {
  it('makes a FIFO or an LRU policy', () => {
    expect(createPolicy('fifo')).toBeInstanceOf(FifoPolicy);
    expect(createPolicy('lru')).toBeInstanceOf(LruPolicy);
  });

  it('gives independent instances', () => {
    const first = createPolicy('lru');
    const second = createPolicy('lru');
    first.inserted(1);
    expect(Array.from(second.order())).toEqual([]);
  });
});

describe('FIFO versus LRU on the same traffic', () => {
  it('evicts the oldest stored under FIFO but the least recently used under LRU', () => {
    const steps: Step[] = [...ins(0, 1, 2, 3, 4), ['read', 0], ['read', 1]];
    const fifo = createPolicy('fifo');
    const lru = createPolicy('lru');
    apply(fifo, steps);
    apply(lru, steps);
    expect(fifo.victim()).toBe(0);
    expect(lru.victim()).toBe(2);
  });
});
