/**
 * The shadow caches through the real server and proxy: GET /policies on the assignment's
 * walk-through against a hand count, the live shadow equal to the live cache (/stats) over a
 * random pipelined workload with writes and clears, OPT below every policy, --shadows off.
 */
import { type PoliciesView, type PolicyCounts, ProxyAdmin, seededRandom } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll } from '../../../test/support/processes';
import { type Stack, startStack, stats } from './support/stack';

jest.setTimeout(60_000);

afterEach(() => closeAllConnections());
afterEach(() => stopAll());

const policies = (stack: Stack): Promise<PoliciesView> =>
  new ProxyAdmin(stack.proxy.admin).policies();

/** `policy@capacity: hits/misses` for the rows of `policy`. */
const counts = (results: readonly PolicyCounts[], policy: string) =>
  results
    .filter((r) => r.policy === policy)
    .map((r) => `${r.policy}@${r.capacity}: ${r.hits}/${r.misses}`);

/** The hand count: `policy@c: hits/misses` for c = 1..10 from the hits at each capacity. */
const handCount = (policy: string, hits: readonly number[]) =>
  hits.map((h, i) => `${policy}@${i + 1}: ${h}/${12 - h}`);

describe('GET /policies on the walk-through (capacity 5, FIFO)', () => {
  it('counts what a hand count gives: six distinct GETs, then five repeats, then the first again', async () => {
    const stack = await startStack({ proxyArgs: ['--capacity', '5', '--eviction', 'fifo'] });
    const client = await connectTo(stack.proxy.protocol);
    // 1..6 miss (6 evicts 1 at capacity 5); 2..6 hit; 1 misses again.
    for (const index of [1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 1]) {
      expect(await client.send(`OP=GET;IND=${index};`)).toBe(`OP=GET;IND=${index};DATA=0;`);
    }
    const view = await policies(stack);
    expect(view.live).toEqual({ policy: 'fifo', capacity: 5 });
    expect(view.shadows).toMatchObject({
      maxCapacity: 10,
      bypassedLookups: 0,
      skippedFills: 0,
    });
    // FIFO and LRU by hand: below 5 slots the loop of six evicts each index before it comes
    // back (no hit); at 5, 2..6 stay and hit, 1 is gone; from 6 on, all six repeats hit.
    const loop = [0, 0, 0, 0, 5, 6, 6, 6, 6, 6];
    expect(counts(view.shadows.results, 'fifo')).toEqual(handCount('fifo', loop));
    expect(counts(view.shadows.results, 'lru')).toEqual(handCount('lru', loop));
    // OPT by hand: with c slots it keeps, of the indices it holds, those used soonest; from 2
    // slots on it hits c of the repeats (2 with 2 slots, ..., all 6 with 6).
    expect(counts(view.opt.results, 'opt')).toEqual(
      handCount('opt', [0, 2, 3, 4, 5, 6, 6, 6, 6, 6]),
    );
    expect(view.opt).toMatchObject({
      window: 100_000,
      entries: 12,
      lookups: 12,
      coversShadows: true,
      complete: true,
    });
    // Every policy at every capacity saw the twelve lookups; the live one is /stats.
    expect(view.shadows.results).toHaveLength(6 * 10);
    expect(view.shadows.results.every((r) => r.lookups === 12)).toBe(true);
    expect(await stats(stack.proxy)).toMatchObject({ hits: 5, misses: 7 });
  });
});

/** A random mix of requests for one connection, from a seeded generator. */
function workload(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const index = () => Math.floor(random() * 10);
  const messages: string[] = [];
  for (let i = 0; i < count; i++) {
    const draw = random();
    if (draw < 0.55) messages.push(`OP=GET;IND=${[index(), index()].join(',')};`);
    else if (draw < 0.65) messages.push(`OP=ADD;IND=${index()},${index()},${index()};`);
    else if (draw < 0.8) {
      // A write and a read of the same index behind it: the read finds the write in flight.
      const written = index();
      messages.push(`OP=PUT;IND=${written};DATA=${i};`, `OP=GET;IND=${written};`);
    } else if (draw < 0.98) messages.push(`OP=GET;IND=${index()};`);
    else messages.push('OP=CLR;');
  }
  return messages;
}

describe('the live shadow', () => {
  it.each([
    ['lru', 3],
    ['sieve', 4],
    ['arc', 2],
  ])(
    'counts what the live cache counts (%s, capacity %i), over four pipelined connections with writes and clears',
    async (eviction, capacity) => {
      const stack = await startStack({
        proxyArgs: ['--capacity', String(capacity), '--eviction', eviction],
      });
      const clients = await Promise.all([1, 2, 3, 4].map(() => connectTo(stack.proxy.protocol)));
      await Promise.all(
        clients.map(async (client, i) => {
          const messages = workload(i + 1, 300);
          // In windows of 25 requests, so that reads, writes and clears overlap.
          for (let at = 0; at < messages.length; at += 25) {
            const replies = await client.sendBatch(messages.slice(at, at + 25));
            for (const reply of replies) expect(reply).not.toMatch(/^OP=ERR;/);
          }
        }),
      );
      const [view, live] = await Promise.all([policies(stack), stats(stack.proxy)]);
      const shadow = view.shadows.results.find(
        (r) => r.policy === eviction && r.capacity === capacity,
      );
      expect(shadow).toMatchObject({ hits: live.hits, misses: live.misses });
      expect(live.hits).toBeGreaterThan(0);
      // The workload raced: reads behind writes of their index went to the server unconsulted.
      expect(view.shadows.bypassedLookups).toBeGreaterThan(0);

      // OPT over the same lookups (the window holds them all) misses no more than any policy.
      expect(view.opt).toMatchObject({ coversShadows: true, complete: true });
      expect(view.opt.lookups).toBe(live.hits + live.misses);
      for (const opt of view.opt.results) {
        const atCapacity = view.shadows.results.filter((r) => r.capacity === opt.capacity);
        const fewest = Math.min(...atCapacity.map((r) => r.misses));
        expect({ capacity: opt.capacity, misses: opt.misses }).toEqual({
          capacity: opt.capacity,
          misses: Math.min(opt.misses, fewest),
        });
      }
    },
  );
});

describe('--shadows off', () => {
  it('keeps no shadows: GET /policies answers 404 SHADOWS_OFF, and no shadow metrics', async () => {
    const stack = await startStack({ proxyArgs: ['--shadows', 'off'] });
    const client = await connectTo(stack.proxy.protocol);
    expect(await client.send('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=0;');
    const answer = await fetch(`${stack.proxy.admin}/policies`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({
      error: 'SHADOWS_OFF',
      message: 'the proxy runs with --shadows off: it keeps no shadow caches',
    });
    const metrics = await (await fetch(`${stack.proxy.admin}/metrics`)).text();
    expect(metrics).not.toContain('semicache_shadow_hit_ratio');
    expect(metrics).toContain('semicache_cache_policy_info{policy="fifo",capacity="5"} 1');
  });
});
