/**
 * GET /stats and GET /metrics tell the same story as the traffic sent: a known sequence of
 * 3 misses, 4 hits and 1 eviction through a cache of 2.
 */
import type { ProtocolConnection } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { stopAll, waitFor } from '../../../test/support/processes';
import { type Sample, scrape, sampleValue } from '../../../test/support/metrics';
import { type Stack, cachedPairs, seedServer, startStack, stats } from './support/stack';

jest.setTimeout(60_000);

describe('/stats and /metrics after a known sequence', () => {
  let stack: Stack;
  let client: ProtocolConnection;

  beforeAll(async () => {
    stack = await startStack({ proxyArgs: ['--capacity', '2'] });
    await seedServer(
      stack.server,
      new Map([
        [0, 5n],
        [1, 6n],
        [2, 7n],
      ]),
    );
  });

  afterAll(async () => {
    closeAllConnections();
    await stopAll();
  });

  it('before any traffic: all zero, hit ratio null, upstream up', async () => {
    expect(await stats(stack.proxy)).toEqual({
      hits: 0,
      misses: 0,
      hitRatio: null,
      evictions: 0,
      size: 0,
      capacity: 2,
      policy: 'fifo',
    });
    const { contentType, samples } = await scrape(stack.proxy.admin);
    expect(contentType).toMatch(/^text\/plain/);
    expect(sampleValue(samples, 'semicache_cache_hits_total')).toBe(0);
    expect(sampleValue(samples, 'semicache_cache_misses_total')).toBe(0);
    expect(sampleValue(samples, 'semicache_cache_capacity')).toBe(2);
    expect(sampleValue(samples, 'semicache_upstream_up')).toBe(1);
    expect(sampleValue(samples, 'semicache_connections_open')).toBe(0);
  });

  it('3 misses, 4 hits, 1 eviction: /stats and /metrics agree with each other and with the traffic', async () => {
    client = await connectTo(stack.proxy.protocol);
    // [request, reply]; what each does to the cache is on the right.
    const sequence: Array<[string, string]> = [
      ['OP=GET;IND=0;', 'OP=GET;IND=0;DATA=5;'], // miss 0
      ['OP=GET;IND=1;', 'OP=GET;IND=1;DATA=6;'], // miss 1
      ['OP=ADD;IND=0,1;', 'OP=ADD;IND=0,1;DATA=11;'], // 2 hits
      ['OP=GET;IND=1,0;', 'OP=GET;IND=1,0;DATA=6,5;'], // 2 hits
      ['OP=GET;IND=2;', 'OP=GET;IND=2;DATA=7;'], // miss 2, evicts 0 (the oldest)
    ];
    for (const [request, reply] of sequence) expect(await client.send(request)).toBe(reply);

    expect(await stats(stack.proxy)).toEqual({
      hits: 4,
      misses: 3,
      hitRatio: 4 / 7,
      evictions: 1,
      size: 2,
      capacity: 2,
      policy: 'fifo',
    });
    expect(await cachedPairs(stack.proxy)).toEqual(['1=6', '2=7']);

    const { text, samples } = await scrape(stack.proxy.admin);
    const value = (name: string, labels?: Record<string, string>) =>
      sampleValue(samples, name, labels);
    expect({
      hits: value('semicache_cache_hits_total'),
      misses: value('semicache_cache_misses_total'),
      evictions: value('semicache_cache_evictions_total'),
      entries: value('semicache_cache_entries'),
      capacity: value('semicache_cache_capacity'),
      upstreamUp: value('semicache_upstream_up'),
      // One upstream GET per request that missed; hits never reach the server.
      upstreamGetOk: value('semicache_upstream_requests_total', { op: 'GET', outcome: 'ok' }),
      upstreamGetError: value('semicache_upstream_requests_total', { op: 'GET', outcome: 'error' }),
      requestsGetOk: value('semicache_requests_total', { op: 'GET', outcome: 'ok' }),
      requestsAddOk: value('semicache_requests_total', { op: 'ADD', outcome: 'ok' }),
      connectionsOpen: value('semicache_connections_open'),
    }).toEqual({
      hits: 4,
      misses: 3,
      evictions: 1,
      entries: 2,
      capacity: 2,
      upstreamUp: 1,
      upstreamGetOk: 3,
      upstreamGetError: 0,
      requestsGetOk: 4,
      requestsAddOk: 1,
      connectionsOpen: 1,
    });
    // Histograms count every request, by op and by where the answer came from (a GET that
    // missed went upstream, one that only hit did not); the upstream one only the round trips.
    expect(
      value('semicache_request_duration_seconds_count', { op: 'GET', source: 'upstream' }),
    ).toBe(3);
    expect(value('semicache_request_duration_seconds_count', { op: 'GET', source: 'cache' })).toBe(
      1,
    );
    expect(value('semicache_request_duration_seconds_count', { op: 'ADD', source: 'cache' })).toBe(
      1,
    );
    expect(value('semicache_upstream_request_duration_seconds_count', { op: 'GET' })).toBe(3);
    // Prometheus naming: counters end in _total and are declared as counters.
    expect(text).toMatch(/^# TYPE semicache_cache_hits_total counter$/m);
    expect(text).toMatch(/^# TYPE semicache_cache_entries gauge$/m);
    expect(text).toMatch(/^# TYPE semicache_request_duration_seconds histogram$/m);
    // prom-client's default process metrics are there too.
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('errors are counted by outcome and code; connections close in the gauge', async () => {
    expect(await client.send('OP=GET;IND=12;')).toBe(
      'OP=ERR;CODE=BAD_INDEX;MSG=index 12 is outside 0..9;',
    );
    expect(await client.send('OP=NOPE;')).toMatch(/^OP=ERR;CODE=UNKNOWN_OP;/);
    // The bad index was a miss that the server rejected.
    expect(await stats(stack.proxy)).toMatchObject({ hits: 4, misses: 4, evictions: 1, size: 2 });

    let samples: Sample[] = (await scrape(stack.proxy.admin)).samples;
    expect(sampleValue(samples, 'semicache_requests_total', { op: 'GET', outcome: 'error' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'semicache_upstream_requests_total', { op: 'GET', outcome: 'error' }),
    ).toBe(1);
    expect(sampleValue(samples, 'semicache_protocol_errors_total', { code: 'BAD_INDEX' })).toBe(1);
    expect(sampleValue(samples, 'semicache_protocol_errors_total', { code: 'UNKNOWN_OP' })).toBe(1);

    const second = await connectTo(stack.proxy.protocol);
    expect(await second.send('OP=GET;IND=2;')).toBe('OP=GET;IND=2;DATA=7;');
    samples = (await scrape(stack.proxy.admin)).samples;
    expect(sampleValue(samples, 'semicache_connections_open')).toBe(2);

    client.close();
    second.close();
    // The proxy sees the close a moment later: poll until the gauge is back to 0.
    const after = await waitFor('connections_open back to 0', async () => {
      const current = (await scrape(stack.proxy.admin)).samples;
      return sampleValue(current, 'semicache_connections_open') === 0 ? current : undefined;
    });
    expect(sampleValue(after, 'semicache_connections_accepted_total')).toBe(2);
  });
});
