// The server's admin HTTP API (health, table) and its Prometheus metrics, checked against
// the traffic actually sent to a fresh server process.
import { type AdminRefusal, type TableView, getJson } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { parseMetrics, sampleValue, scrape } from '../../../test/support/metrics';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { STORES, storeFlags } from '../../../test/support/stores';
import { removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

const INT64_MIN = '-9223372036854775808';

afterEach(() => {
  closeAllConnections();
  closeAllRawClients();
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe.each(STORES)('admin API (%s store)', (store) => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', await storeFlags(store));
  });

  it('GET /health answers 200 with JSON status ok and the table size', async () => {
    const response = await fetch(`${server.admin}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'ok', table: { size: 10, writable: true } });
  });

  it('GET /table lists every entry with string values, reflecting protocol writes', async () => {
    const empty = await getJson(`${server.admin}/table`);
    expect(empty).toEqual({
      status: 200,
      body: {
        size: 10,
        entries: Array.from({ length: 10 }, (_, index) => ({ index, value: '0' })),
      },
    });
    const client = await connectTo(server.protocol);
    expect(await client.send(`OP=PUT;IND=3,9;DATA=9007199254740993,${INT64_MIN};`)).toBe(
      `OP=PUT;IND=3,9;DATA=9007199254740993,${INT64_MIN};`,
    );
    const { status, body } = await getJson<TableView>(`${server.admin}/table`);
    expect(status).toBe(200);
    expect(body.size).toBe(10);
    // Strings, so that 2^53+1 and -2^63 survive JSON exactly.
    expect(body.entries[3]).toEqual({ index: 3, value: '9007199254740993' });
    expect(body.entries[9]).toEqual({ index: 9, value: INT64_MIN });
    expect(body.entries.filter((entry) => entry.value !== '0').map((entry) => entry.index)).toEqual(
      [3, 9],
    );
    expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
  });

  it('GET /table/:index answers one entry', async () => {
    const client = await connectTo(server.protocol);
    expect(await client.send('OP=PUT;IND=0,7;DATA=-5,77;')).toBe('OP=PUT;IND=0,7;DATA=-5,77;');
    expect(await getJson(`${server.admin}/table/7`)).toEqual({
      status: 200,
      body: { index: 7, value: '77' },
    });
    expect(await getJson(`${server.admin}/table/0`)).toEqual({
      status: 200,
      body: { index: 0, value: '-5' },
    });
    expect(await getJson(`${server.admin}/table/9`)).toEqual({
      status: 200,
      body: { index: 9, value: '0' },
    });
  });

  it.each(['10', 'abc', '-1', '1.5', '99999999999999999999'])(
    'GET /table/%s answers 404 JSON with error BAD_INDEX',
    async (index) => {
      const response = await fetch(`${server.admin}/table/${index}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as AdminRefusal;
      expect(body.error).toBe('BAD_INDEX');
      expect(body.message).toEqual(expect.stringContaining(index));
    },
  );

  it('GET /table/10 says which range is valid', async () => {
    expect(await getJson(`${server.admin}/table/10`)).toEqual({
      status: 404,
      body: expect.objectContaining({ error: 'BAD_INDEX', message: 'index 10 is outside 0..9' }),
    });
  });
});

describe('metrics on a fresh server', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--in-memory', '--max-message-length', '128']);
  });

  it('counts exactly the traffic sent, by op and outcome, with latency histograms and error codes', async () => {
    // A fresh server: nothing counted yet (a series may exist at 0 from the start).
    const before = (await scrape(server.admin)).samples;
    expect(
      before
        .filter((sample) => sample.name === 'semicache_requests_total')
        .every((sample) => sample.value === 0),
    ).toBe(true);

    const client = await connectTo(server.protocol);
    const replies: string[] = [];
    for (let n = 0; n < 7; n++) replies.push(await client.send(`OP=GET;IND=${n};`));
    replies.push(await client.send('OP=PUT;IND=1,2;DATA=1,2;'));
    replies.push(await client.send('OP=PUT;IND=3;DATA=3;'));
    replies.push(await client.send('OP=PUT;IND=4;DATA=4;'));
    replies.push(await client.send('OP=ADD;IND=1,2;'));
    replies.push(await client.send('OP=CLR;'));
    replies.push(await client.send('OP=GET;IND=12;')); // BAD_INDEX
    replies.push(await client.send('OP=GET;IND=10;')); // BAD_INDEX
    replies.push(await client.send('OP=PUT;IND=10;DATA=1;')); // BAD_INDEX
    replies.push(await client.send('OP=PUT;IND=1;DATA=x;')); // BAD_DATA
    replies.push(await client.send('OP=ADD;IND=1,2,3,4,5,6;')); // TOO_MANY
    replies.push(await client.send('OP=NOPE;')); // UNKNOWN_OP
    replies.push(await client.send('garbage')); // BAD_SYNTAX
    replies.push(await client.send(`OP=GET;IND=${'1,'.repeat(100)}1;`)); // TOO_LONG
    expect(replies.filter((reply) => reply.startsWith('OP=ERR;'))).toHaveLength(8);

    const { contentType, text, samples } = await scrape(server.admin);
    expect(contentType).toMatch(/^text\/plain/);
    const requests = (op: string, outcome: string) =>
      sampleValue(samples, 'semicache_requests_total', { op, outcome });
    expect(requests('GET', 'ok')).toBe(7);
    expect(requests('PUT', 'ok')).toBe(3);
    expect(requests('ADD', 'ok')).toBe(1);
    expect(requests('CLR', 'ok')).toBe(1);
    expect(requests('GET', 'error')).toBe(2);
    // A malformed request whose OP can be read counts under that OP (BAD_DATA, TOO_MANY)...
    expect(requests('PUT', 'error')).toBe(2);
    expect(requests('ADD', 'error')).toBe(1);
    // ...and one whose OP cannot (UNKNOWN_OP, BAD_SYNTAX, TOO_LONG) under "none".
    expect(requests('none', 'error')).toBe(3);
    const allErrors = samples
      .filter(
        (sample) => sample.name === 'semicache_requests_total' && sample.labels.outcome === 'error',
      )
      .reduce((sum, sample) => sum + sample.value, 0);
    expect(allErrors).toBe(8);

    const errors = (code: string) =>
      sampleValue(samples, 'semicache_protocol_errors_total', { code });
    expect(errors('BAD_INDEX')).toBe(3);
    expect(errors('BAD_DATA')).toBe(1);
    expect(errors('TOO_MANY')).toBe(1);
    expect(errors('UNKNOWN_OP')).toBe(1);
    expect(errors('BAD_SYNTAX')).toBe(1);
    expect(errors('TOO_LONG')).toBe(1);

    // Latency histogram by op and source: counts match the requests, buckets are cumulative, in
    // seconds. A read is answered from the table at once (no write pending), a write waits for
    // the store, an error is an error.
    expect(text).toContain('# TYPE semicache_request_duration_seconds histogram');
    const durations = (op: string, source: string) =>
      sampleValue(samples, 'semicache_request_duration_seconds_count', { op, source });
    expect({
      getTable: durations('GET', 'table'),
      getStore: durations('GET', 'store'),
      getError: durations('GET', 'error'),
      putStore: durations('PUT', 'store'),
      putError: durations('PUT', 'error'),
      clrStore: durations('CLR', 'store'),
      addTable: durations('ADD', 'table'),
      noneError: durations('none', 'error'),
      noneTable: durations('none', 'table'),
    }).toEqual({
      getTable: 7,
      getStore: 0,
      getError: 2,
      putStore: 3,
      putError: 2,
      clrStore: 1,
      addTable: 1,
      noneError: 3,
      // A message whose OP cannot be read has only the error series.
      noneTable: undefined,
    });
    const getOk = { op: 'GET', source: 'table' };
    expect(
      sampleValue(samples, 'semicache_request_duration_seconds_bucket', { ...getOk, le: '+Inf' }),
    ).toBe(7);
    const getBuckets = samples.filter(
      (sample) =>
        sample.name === 'semicache_request_duration_seconds_bucket' &&
        sample.labels.op === 'GET' &&
        sample.labels.source === 'table',
    );
    expect(getBuckets.length).toBeGreaterThan(5);
    getBuckets.forEach(
      (bucket, n) => n > 0 && expect(bucket.value).toBeGreaterThanOrEqual(getBuckets[n - 1].value),
    );
    const getSum = sampleValue(samples, 'semicache_request_duration_seconds_sum', getOk)!;
    expect(getSum).toBeGreaterThan(0);
    expect(getSum).toBeLessThan(5);

    expect(text).toContain('# TYPE semicache_requests_total counter');
    expect(text).toContain('# TYPE semicache_protocol_errors_total counter');
    expect(text).toContain('# TYPE semicache_connections_open gauge');
    // prom-client's default process metrics.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('semicache_connections_open follows the connections open now', async () => {
    const open = async () =>
      sampleValue((await scrape(server.admin)).samples, 'semicache_connections_open');
    await waitFor('no connections open', async () => ((await open()) === 0 ? true : undefined));
    const accepted = async () =>
      sampleValue((await scrape(server.admin)).samples, 'semicache_connections_accepted_total');
    const acceptedBefore = (await accepted()) ?? 0;
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.open(server.protocol)));
    expect(
      await waitFor('3 connections open', async () => ((await open()) === 3 ? 3 : undefined)),
    ).toBe(3);
    clients[0].close();
    expect(
      await waitFor('2 connections open', async () => ((await open()) === 2 ? 2 : undefined)),
    ).toBe(2);
    closeAllRawClients();
    expect(
      await waitFor('0 connections open', async () => ((await open()) === 0 ? 0 : undefined)),
    ).toBe(0);
    expect(await accepted()).toBe(acceptedBefore + 3);
  });

  it('serves /metrics in a form Prometheus parses (every line a comment or a sample)', async () => {
    const response = await fetch(`${server.admin}/metrics`);
    expect(response.status).toBe(200);
    expect(parseMetrics(await response.text()).length).toBeGreaterThan(20);
  });
});
