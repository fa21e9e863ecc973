/**
 * PUT /config through the real proxy: the live cache's policy and capacity change without a
 * restart, only with the admin token; a smaller capacity evicts by the new policy; /stats,
 * /cache, /policies and the metrics follow.
 */
import { ProxyAdmin } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll } from '../../../test/support/processes';
import { type Stack, cacheView, startStack, stats } from './support/stack';

jest.setTimeout(60_000);

afterEach(() => closeAllConnections());

const TOKEN = 'a-token-for-the-tests';

/** `PUT /config` with a raw body and headers: the status, the body and the WWW-Authenticate header. */
async function put(stack: Stack, body: string | undefined, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.proxy.admin}/config`, {
    method: 'PUT',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: response.status,
    body: await response.json(),
    challenge: response.headers.get('www-authenticate'),
  };
}

const withToken = { authorization: `Bearer ${TOKEN}` };

async function metric(stack: Stack, pattern: RegExp): Promise<string[]> {
  const text = await (await fetch(`${stack.proxy.admin}/metrics`)).text();
  return text.split('\n').filter((line) => pattern.test(line));
}

describe('PUT /config without --admin-token', () => {
  afterEach(() => stopAll());

  it('is refused with 403 whatever is sent, and the cache stays as it is', async () => {
    const stack = await startStack();
    for (const headers of [{}, withToken]) {
      expect(await put(stack, '{"capacity": 2}', headers)).toMatchObject({
        status: 403,
        body: {
          error: 'ADMIN_WRITES_DISABLED',
          message: expect.stringContaining('--admin-token') as string,
        },
      });
    }
    expect(await stats(stack.proxy)).toMatchObject({ capacity: 5, policy: 'fifo' });
  });
});

describe('PUT /config with --admin-token: refusals', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ proxyArgs: ['--admin-token', TOKEN] });
  });
  afterAll(() => stopAll());

  it('answers 401 with a Bearer challenge to a missing or wrong token', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      // Before the body is read: a body that is not JSON gets the same answer.
      for (const body of ['{"capacity": 2}', '{capacity']) {
        expect(await put(stack, body, headers)).toMatchObject({
          status: 401,
          body: { error: 'UNAUTHORIZED' },
          challenge: 'Bearer realm="semicache"',
        });
      }
    }
    expect(await stats(stack.proxy)).toMatchObject({ capacity: 5 });
  });

  it.each([
    ['{"capacity": 0}', 'capacity: Number must be greater than or equal to 1'],
    ['{"capacity": 2.5}', 'capacity: Expected integer, received float'],
    ['{"capacity": "8"}', 'capacity: Expected number, received string'],
    [
      '{"eviction": "random"}',
      "eviction: Invalid enum value. Expected 'fifo' | 'lru' | 'clock' | 'lfu' | 'sieve' | 'arc', received 'random'",
    ],
    ['{"capacity": 3, "size": 9}', "Unrecognized key(s) in object: 'size'"],
    ['{}', 'give "capacity", "eviction" or both'],
    ['[8]', 'expected a JSON object such as {"capacity": 8, "eviction": "lru"}'],
  ])('answers 400 BAD_CONFIG to %s, changing nothing', async (body, message) => {
    expect(await put(stack, body, withToken)).toMatchObject({
      status: 400,
      body: { error: 'BAD_CONFIG', message },
    });
    expect(await stats(stack.proxy)).toMatchObject({ capacity: 5, policy: 'fifo' });
  });

  it('answers 400 BAD_CONFIG to a body that is not JSON, and keeps serving', async () => {
    expect(await put(stack, '{capacity', withToken)).toMatchObject({
      status: 400,
      body: { error: 'BAD_CONFIG', message: expect.stringMatching(/^not JSON: /) as string },
    });
    const client = await connectTo(stack.proxy.protocol);
    expect(await client.send('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=0;');
  });
});

describe('PUT /config with --admin-token: changes', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ proxyArgs: ['--admin-token', TOKEN] });
  });
  afterEach(() => stopAll());

  it('switches the policy and shrinks: the entries go by the new policy, each eviction counted; /stats, /cache, /policies and the metrics follow', async () => {
    const client = await connectTo(stack.proxy.protocol);
    for (const index of [0, 1, 2, 3, 4, 0]) await client.send(`OP=GET;IND=${index};`);
    // FIFO holds 0..4, oldest first (the read of 0 changes nothing).
    expect((await cacheView(stack.proxy)).entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);

    const answer = await new ProxyAdmin(stack.proxy.admin).configure(
      { capacity: 3, eviction: 'lru' },
      TOKEN,
    );
    // LRU takes the entries in FIFO's order and, with no history of its own, evicts 0 then 1.
    expect(answer).toEqual({ policy: 'lru', capacity: 3, size: 3, evicted: [0, 1] });
    const view = await cacheView(stack.proxy);
    expect(view).toMatchObject({ policy: 'lru', capacity: 3, size: 3 });
    expect(view.entries.map((e) => e.index)).toEqual([2, 3, 4]);
    expect(await stats(stack.proxy)).toMatchObject({
      policy: 'lru',
      capacity: 3,
      size: 3,
      evictions: 2,
    });
    expect(
      await metric(stack, /^semicache_cache_(capacity|policy_info|evictions_total)\b/),
    ).toEqual([
      'semicache_cache_evictions_total 2',
      'semicache_cache_capacity 3',
      'semicache_cache_policy_info{policy="lru",capacity="3"} 1',
    ]);

    // From now on, LRU: reading 2 saves it, the next new index evicts 3.
    await client.send('OP=GET;IND=2;');
    await client.send('OP=GET;IND=5;');
    expect((await cacheView(stack.proxy)).entries.map((e) => e.index)).toEqual([4, 2, 5]);

    const policies = await new ProxyAdmin(stack.proxy.admin).policies();
    expect(policies.live).toEqual({ policy: 'lru', capacity: 3 });
    // 2 × 3 fits in the range it started with (1..10): the shadows went on counting.
    expect(policies.shadows.maxCapacity).toBe(10);
    expect(policies.shadows.results[0].lookups).toBe(8);
  });

  it('grows: nothing is evicted, more is held, and the shadows start afresh at twice the capacity', async () => {
    const client = await connectTo(stack.proxy.protocol);
    for (const index of [0, 1, 2, 3, 4, 5]) await client.send(`OP=GET;IND=${index};`);
    const admin = new ProxyAdmin(stack.proxy.admin);
    const before = await admin.policies();
    expect(await admin.configure({ capacity: 8 }, TOKEN)).toEqual({
      policy: 'fifo',
      capacity: 8,
      size: 5,
      evicted: [],
    });
    for (const index of [6, 7, 8]) await client.send(`OP=GET;IND=${index};`);
    expect((await cacheView(stack.proxy)).entries.map((e) => e.index)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    const after = await admin.policies();
    expect(after.live).toEqual({ policy: 'fifo', capacity: 8 });
    expect(after.shadows.maxCapacity).toBe(16);
    expect(after.shadows.since > before.shadows.since).toBe(true);
    expect(after.shadows.results.every((r) => r.lookups === 3)).toBe(true);
  });
});
