/**
 * Write-through: a PUT reaches the server before the client's ack, and the written
 * entries are cached; CLR empties both the server's table and the cache; an index the server
 * rejects is rejected through the proxy with the server's own error, and nothing is cached for it.
 */
import type { ProtocolConnection } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll } from '../../../test/support/processes';
import {
  type Stack,
  cachedPairs,
  cacheView,
  startStack,
  stats,
  tableValues,
} from './support/stack';

jest.setTimeout(60_000);

const ALL_ZERO = Array.from({ length: 10 }, () => '0');
const BAD_INDEX_12 = 'OP=ERR;CODE=BAD_INDEX;MSG=index 12 is outside 0..9;';

describe('write-through via the proxy (server of 10, cache of 5)', () => {
  let stack: Stack;
  let client: ProtocolConnection;

  beforeEach(async () => {
    stack = await startStack();
    client = await connectTo(stack.proxy.protocol);
  });

  afterEach(async () => {
    closeAllConnections();
    await stopAll();
  });

  it('a PUT is on the server as soon as it is acknowledged, and its entries are cached', async () => {
    expect(await client.send('OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
    const table = await tableValues(stack.server);
    expect(table[1]).toBe('10');
    expect(table[2]).toBe('20');
    expect(await cachedPairs(stack.proxy)).toEqual(['1=10', '2=20']);

    // Writing a cached entry updates it in place, on the server and in the cache.
    expect(await client.send('OP=PUT;IND=2;DATA=-9223372036854775808;')).toBe(
      'OP=PUT;IND=2;DATA=-9223372036854775808;',
    );
    expect((await tableValues(stack.server))[2]).toBe('-9223372036854775808');
    expect(await cachedPairs(stack.proxy)).toEqual(['1=10', '2=-9223372036854775808']);

    // The written entries are now served from the cache: hits, no misses.
    const before = await stats(stack.proxy);
    expect(await client.send('OP=GET;IND=2,1;')).toBe(
      'OP=GET;IND=2,1;DATA=-9223372036854775808,10;',
    );
    expect(await client.send('OP=ADD;IND=1,1;')).toBe('OP=ADD;IND=1,1;DATA=20;');
    const after = await stats(stack.proxy);
    expect({ hits: after.hits - before.hits, misses: after.misses - before.misses }).toEqual({
      hits: 4,
      misses: 0,
    });
  });

  it('PUT of new indices into a full cache evicts the oldest, and the server has every one', async () => {
    expect(await client.send('OP=PUT;IND=0,1,2,3,4,5;DATA=0,-1,2,-3,4,-5;')).toBe(
      'OP=PUT;IND=0,1,2,3,4,5;DATA=0,-1,2,-3,4,-5;',
    );
    expect(await tableValues(stack.server)).toEqual([
      '0',
      '-1',
      '2',
      '-3',
      '4',
      '-5',
      '0',
      '0',
      '0',
      '0',
    ]);
    expect(await cachedPairs(stack.proxy)).toEqual(['1=-1', '2=2', '3=-3', '4=4', '5=-5']);
    expect((await stats(stack.proxy)).evictions).toBe(1);
  });

  it('CLR through the proxy zeroes the server table and empties the cache', async () => {
    expect(await client.send('OP=PUT;IND=0,3,9;DATA=7,8,9;')).toBe('OP=PUT;IND=0,3,9;DATA=7,8,9;');
    expect(await client.send('OP=GET;IND=5;')).toBe('OP=GET;IND=5;DATA=0;');
    expect((await cacheView(stack.proxy)).size).toBe(4);

    expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
    expect(await tableValues(stack.server)).toEqual(ALL_ZERO);
    const view = await cacheView(stack.proxy);
    expect(view.size).toBe(0);
    expect(view.entries).toEqual([]);

    // After the CLR the old values are gone through the proxy too (fetched again: misses).
    const before = await stats(stack.proxy);
    expect(await client.send('OP=GET;IND=0,3,9;')).toBe('OP=GET;IND=0,3,9;DATA=0,0,0;');
    expect((await stats(stack.proxy)).misses - before.misses).toBe(3);
  });

  it("a PUT on an index the server rejects gets the server's own error and caches nothing", async () => {
    expect(await client.send('OP=PUT;IND=12;DATA=5;')).toBe(BAD_INDEX_12);
    expect(await cacheView(stack.proxy)).toMatchObject({ size: 0, entries: [] });
    expect(await tableValues(stack.server)).toEqual(ALL_ZERO);

    // Validated whole on the server: the good index of a bad PUT is neither written nor cached.
    expect(await client.send('OP=PUT;IND=3,12;DATA=33,5;')).toBe(BAD_INDEX_12);
    expect(await cacheView(stack.proxy)).toMatchObject({ size: 0, entries: [] });
    expect(await tableValues(stack.server)).toEqual(ALL_ZERO);

    // The connection stays usable.
    expect(await client.send('OP=PUT;IND=3;DATA=33;')).toBe('OP=PUT;IND=3;DATA=33;');
    expect(await cachedPairs(stack.proxy)).toEqual(['3=33']);
  });

  it("a GET or ADD mixing a cached index and index 12 gets the server's error; the cache is unchanged", async () => {
    expect(await client.send('OP=PUT;IND=3;DATA=33;')).toBe('OP=PUT;IND=3;DATA=33;');
    expect(await client.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=33;');
    expect(await cachedPairs(stack.proxy)).toEqual(['3=33']);

    expect(await client.send('OP=GET;IND=3,12;')).toBe(BAD_INDEX_12);
    expect(await client.send('OP=GET;IND=12,3;')).toBe(BAD_INDEX_12);
    expect(await client.send('OP=ADD;IND=3,12;')).toBe(BAD_INDEX_12);
    // A miss that is valid next to one that is not: the server rejects the whole upstream GET.
    expect(await client.send('OP=GET;IND=4,12;')).toBe(BAD_INDEX_12);
    expect(await cachedPairs(stack.proxy)).toEqual(['3=33']);

    expect(await client.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=33;');
  });
});
