// Pipelining (replies in request order) and many connections at once, against the real server
// process.
import { tableValues } from '../../../test/support/admin';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { sampleValue, scrape } from '../../../test/support/metrics';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { STORES, storeFlags } from '../../../test/support/stores';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

afterEach(() => {
  closeAllConnections();
  closeAllRawClients();
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

/**
 * `count` requests mixing PUT, GET and ADD on a table of `size` entries (starting from zeros),
 * with the reply each must get, computed from a model of the table: a reply out of order, lost
 * or duplicated cannot match.
 */
function workload(
  count: number,
  size: number,
  withErrors = false,
): { requests: string[]; replies: string[] } {
  const table = new Array<bigint>(size).fill(0n);
  const requests: string[] = [];
  const replies: string[] = [];
  for (let k = 0; requests.length < count; k++) {
    const i = k % size;
    const j = (k * 7 + 3) % size;
    const value = BigInt(k * 1000 + 1) * (k % 3 === 0 ? -1n : 1n);
    // PUT i=value, then GET i must return value: order is visible in every pair.
    requests.push(`OP=PUT;IND=${i};DATA=${value};`);
    replies.push(`OP=PUT;IND=${i};DATA=${value};`);
    table[i] = value;
    requests.push(`OP=GET;IND=${i},${j};`);
    replies.push(`OP=GET;IND=${i},${j};DATA=${table[i]},${table[j]};`);
    if (k % 5 === 4) {
      requests.push(`OP=ADD;IND=${i},${j};`);
      replies.push(`OP=ADD;IND=${i},${j};DATA=${table[i] + table[j]};`);
    }
    if (withErrors && k % 3 === 1) {
      // Error replies are ready at once, the others may wait for the disk: order must hold.
      requests.push(`OP=PUT;IND=${i},${size + 2};DATA=1,2;`);
      replies.push(`OP=ERR;CODE=BAD_INDEX;MSG=index ${size + 2} is outside 0..${size - 1};`);
    }
  }
  return { requests: requests.slice(0, count), replies: replies.slice(0, count) };
}

async function burst(
  server: RunningApp,
  count: number,
  size: number,
  { terminator = '\n', withErrors = false } = {},
): Promise<void> {
  const { requests, replies } = workload(count, size, withErrors);
  const raw = await RawClient.open(server.protocol);
  // One write of every message: the server sees them back to back in as few reads as the
  // kernel likes, and must answer each, in order.
  raw.write(requests.map((request) => request + terminator).join(''));
  const got = await raw.readLines(count, 30_000);
  const firstWrong = got.findIndex((reply, n) => reply !== replies[n]);
  expect({ firstWrong, request: requests[firstWrong], got: got[firstWrong] }).toEqual({
    firstWrong: -1,
    request: undefined,
    got: undefined,
  });
  expect(got).toHaveLength(count);
  // Nothing more than one reply per request: a marker request gets the very next line.
  expect(await raw.request('OP=GET;IND=0;')).toMatch(/^OP=GET;IND=0;DATA=-?\d+;$/);
  expect(raw.available).toBe(0);
}

describe.each(STORES)('pipelining (%s store)', (store) => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', await storeFlags(store));
  });
  beforeEach(async () => {
    const client = await connectTo(server.protocol);
    expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
    client.close();
  });

  it('answers 1,000 messages written in one burst completely and in order', async () => {
    await burst(server, 1000, 10);
  });

  it('answers 1,000 CRLF-terminated messages written in one burst completely and in order', async () => {
    await burst(server, 1000, 10, { terminator: '\r\n' });
  });

  it('answers 1,000 messages mixing errors with good requests in one burst, in order', async () => {
    await burst(server, 1000, 10, { withErrors: true });
  });

  it('answers 20,000 messages written in one burst (far more than a socket buffer) in order', async () => {
    await burst(server, 20_000, 10);
  });

  it('answers a pipelined batch through ProtocolConnection.sendBatch in order', async () => {
    const { requests, replies } = workload(1000, 10);
    const client = await connectTo(server.protocol);
    expect(await client.sendBatch(requests)).toEqual(replies);
  });
});

describe('pipelining with a data directory (replies wait for durable writes) and --max-pending-replies 8', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--data-dir', makeTempDir(), '--max-pending-replies', '8']);
  });
  beforeEach(async () => {
    const client = await connectTo(server.protocol);
    expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
    client.close();
  });

  it('answers 1,000 messages written in one burst completely and in order, and keeps them', async () => {
    await burst(server, 1000, 10);
    // The table holds the model's final values.
    const { requests } = workload(1000, 10);
    const expected = new Array<string>(10).fill('0');
    for (const request of requests) {
      const put = /^OP=PUT;IND=(\d+);DATA=(-?\d+);$/.exec(request);
      if (put) expected[Number(put[1])] = put[2];
    }
    expect(await tableValues(server)).toEqual(expected);
  });

  it('keeps the order when error replies (ready at once) are mixed with replies waiting for the disk', async () => {
    await burst(server, 1000, 10, { withErrors: true });
  });
});

describe('many connections at once', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory', '--size', '100']);
  });

  it('serves 100 connections open at the same time, each answered correctly', async () => {
    const connections = await Promise.all(
      Array.from({ length: 100 }, () => connectTo(server.protocol)),
    );
    // All 100 are open on the server side at once.
    await waitFor('100 open connections', async () =>
      sampleValue((await scrape(server.admin)).samples, 'semicache_connections_open') === 100
        ? true
        : undefined,
    );
    const results = await Promise.all(
      connections.map(async (connection, c) => {
        const value = c * 1000 + 7;
        const put = connection.send(`OP=PUT;IND=${c};DATA=${value};`);
        const get = connection.send(`OP=GET;IND=${c},${c};`);
        const add = connection.send(`OP=ADD;IND=${c},${c};`);
        return Promise.all([put, get, add]);
      }),
    );
    results.forEach(([put, get, add], c) => {
      const value = c * 1000 + 7;
      expect(put).toBe(`OP=PUT;IND=${c};DATA=${value};`);
      expect(get).toBe(`OP=GET;IND=${c},${c};DATA=${value},${value};`);
      expect(add).toBe(`OP=ADD;IND=${c},${c};DATA=${2 * value};`);
    });
    // Every connection's write landed in the one table.
    expect(await tableValues(server)).toEqual(
      Array.from({ length: 100 }, (_, c) => String(c * 1000 + 7)),
    );
    // And each connection sees the others' writes.
    const crossReads = await Promise.all(
      connections.map((connection, c) => connection.send(`OP=GET;IND=${99 - c};`)),
    );
    crossReads.forEach((reply, c) =>
      expect(reply).toBe(`OP=GET;IND=${99 - c};DATA=${(99 - c) * 1000 + 7};`),
    );
    closeAllConnections();
    await waitFor('connections closed on the server', async () =>
      sampleValue((await scrape(server.admin)).samples, 'semicache_connections_open') === 0
        ? true
        : undefined,
    );
  });

  it('serves 100 connections that each pipeline 50 requests at once', async () => {
    const connections = await Promise.all(
      Array.from({ length: 100 }, () => connectTo(server.protocol)),
    );
    const results = await Promise.all(
      connections.map((connection, c) => {
        const requests: string[] = [];
        for (let n = 0; n < 25; n++)
          requests.push(`OP=PUT;IND=${c};DATA=${n - c};`, `OP=GET;IND=${c};`);
        return connection.sendBatch(requests);
      }),
    );
    results.forEach((replies, c) => {
      const expected: string[] = [];
      for (let n = 0; n < 25; n++)
        expected.push(`OP=PUT;IND=${c};DATA=${n - c};`, `OP=GET;IND=${c};DATA=${n - c};`);
      expect(replies).toEqual(expected);
    });
  });
});
