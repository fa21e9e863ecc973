// Issue 13 on the proxy's admin port: the decision events (`GET /events`, Server-Sent Events, and
// `GET /events/recent`), their filters, resuming with Last-Event-ID, the heartbeat, a fill that
// a write raced, a subscriber that never reads, per-index heat, and the slow-request line.
import { type HeatView, type RecentEvents, getJson } from '@semicache/client';
import { connect } from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import { EventCollector, closeAllCollectors, decisionWords } from '../../../test/support/events';
import { scrape } from '../../../test/support/metrics';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { type Script, ScriptedPeer } from '../../../test/support/scripted-peer';
import { type RunningApp, startApp, stopAll, waitFor } from '../../../test/support/processes';
import { type Stack, startStack } from './support/stack';

jest.setTimeout(60_000);

const peers = new Set<ScriptedPeer>();
afterEach(async () => {
  await closeAllCollectors();
  closeAllConnections();
  await Promise.all([...peers].map((peer) => peer.close()));
  peers.clear();
});
afterAll(() => stopAll());

async function scripted(script: Script): Promise<ScriptedPeer> {
  const peer = await ScriptedPeer.start(script);
  peers.add(peer);
  return peer;
}

const recent = async (proxy: RunningApp, query = ''): Promise<RecentEvents> =>
  (await getJson<RecentEvents>(`${proxy.admin}/events/recent${query}`)).body;

/** The seqs and decisions of `/events/recent` with `query`. */
async function recentWords(proxy: RunningApp, query: string): Promise<[string | null, string[]][]> {
  return (await recent(proxy, query)).events.map((event) => [event.op, decisionWords(event)]);
}

describe('the event stream of a proxy', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ proxyArgs: ['--capacity', '5'] });
    const client = await connectTo(stack.proxy.protocol);
    // Fill 0..4 in one fetch; 5 evicts 0; a write-allocate of 7 evicts 1; 12 is refused; then
    // a message the proxy cannot read, and a clear.
    for (const message of [
      'OP=GET;IND=0,1,2,3,4;',
      'OP=GET;IND=5;',
      'OP=PUT;IND=7;DATA=1;',
      'OP=GET;IND=12;',
      'hello',
      'OP=CLR;',
    ]) {
      await client.send(message);
    }
  });

  it('/events/recent gives the events in order, each decision in the order it took effect', async () => {
    const body = await recent(stack.proxy);
    expect({ app: body.app, nextSeq: body.nextSeq, oldestSeq: body.oldestSeq }).toEqual({
      app: 'proxy',
      nextSeq: 7,
      oldestSeq: 1,
    });
    expect(body.events.map((event) => [event.seq, event.op, event.outcome, event.source])).toEqual([
      [1, 'GET', 'ok', 'upstream'],
      [2, 'GET', 'ok', 'upstream'],
      [3, 'PUT', 'ok', 'upstream'],
      [4, 'GET', 'error', 'error'],
      [5, null, 'error', 'error'],
      [6, 'CLR', 'ok', 'upstream'],
    ]);
    expect(body.events.map(decisionWords)).toEqual([
      [
        'miss 0',
        'miss 1',
        'miss 2',
        'miss 3',
        'miss 4',
        'stored 0=0',
        'stored 1=0',
        'stored 2=0',
        'stored 3=0',
        'stored 4=0',
      ],
      ['miss 5', 'evicted 0 oldest', 'stored 5=0'],
      ['evicted 1 oldest', 'written 7=1'],
      ['miss 12'],
      [],
      ['cleared 5'],
    ]);
    expect(body.events[3]).toMatchObject({
      code: 'BAD_INDEX',
      message: 'index 12 is outside 0..9',
    });
    expect(body.events[4]).toMatchObject({ code: 'BAD_SYNTAX', indices: [] });
    // Every request on the one connection of the set-up.
    expect(new Set(body.events.map((event) => event.conn))).toEqual(new Set([body.events[0].conn]));
  });

  it('filters by op, decision kind and index, alone and together', async () => {
    expect(await recentWords(stack.proxy, '?op=put')).toEqual([
      ['PUT', ['evicted 1 oldest', 'written 7=1']],
    ]);
    expect((await recentWords(stack.proxy, '?kind=evicted,cleared')).map(([op]) => op)).toEqual([
      'GET',
      'PUT',
      'CLR',
    ]);
    // 0 was asked for, then evicted; a clear concerns every index.
    expect((await recentWords(stack.proxy, '?index=0')).map(([op]) => op)).toEqual([
      'GET',
      'GET',
      'CLR',
    ]);
    expect(await recentWords(stack.proxy, '?index=0&op=GET&kind=evicted')).toEqual([
      ['GET', ['miss 5', 'evicted 0 oldest', 'stored 5=0']],
    ]);
    expect((await recent(stack.proxy, '?limit=2')).events.map((event) => event.seq)).toEqual([
      5, 6,
    ]);
  });

  it.each([
    ['/events/recent?kind=hits', 'BAD_FILTER', /kind: "hits" is not a decision kind/],
    ['/events/recent?index=1,x', 'BAD_FILTER', /index: "x" is not an index/],
    ['/events/recent?op=DEL', 'BAD_FILTER', /op: "DEL" is not an OP/],
    ['/events/recent?limit=0', 'BAD_LIMIT', /limit: "0" is not a positive whole number/],
    ['/events?kind=nope', 'BAD_FILTER', /kind: "nope"/],
    ['/heat?limit=x', 'BAD_LIMIT', /limit: "x"/],
  ])('answers %s with 400 %s', async (path, error, message) => {
    const { status, body } = await getJson<{ error: string; message: string }>(
      `${stack.proxy.admin}${path}`,
    );
    expect({ status, error: body.error }).toEqual({ status: 400, error });
    expect(body.message).toMatch(message);
  });

  it('streams only the events its filter matches', async () => {
    const evictions = await EventCollector.follow(`${stack.proxy.admin}/events?kind=evicted`);
    const client = await connectTo(stack.proxy.protocol);
    for (let index = 0; index < 7; index++) await client.send(`OP=GET;IND=${index};`);
    const [first, second] = await evictions.take(2);
    expect([decisionWords(first), decisionWords(second)]).toEqual([
      ['miss 5', 'evicted 0 oldest', 'stored 5=0'],
      ['miss 6', 'evicted 1 oldest', 'stored 6=0'],
    ]);
    expect(evictions.events).toHaveLength(2);
  });

  it('starts with a `connected` notice naming the app, its run and its heartbeat', async () => {
    const collector = await EventCollector.follow(`${stack.proxy.admin}/events`);
    expect(collector.connected[0]).toMatchObject({
      app: 'proxy',
      run: expect.stringMatching(/^[0-9a-f]{12}$/),
      heartbeatMs: 15_000,
      capacity: 1000,
    });
  });
});

describe('resuming a stream', () => {
  let proxy: RunningApp;
  const gets = async (count: number) => {
    const client = await connectTo(proxy.protocol);
    for (let n = 0; n < count; n++) await client.send(`OP=GET;IND=${n % 10};`);
    client.close();
  };

  beforeAll(async () => {
    proxy = (await startStack({ proxyArgs: ['--event-buffer', '5'] })).proxy;
  });

  it('after Last-Event-ID, from the ring, then live', async () => {
    await gets(3);
    const resumed = await EventCollector.follow(`${proxy.admin}/events`, { lastEventId: 1 });
    await gets(1);
    expect((await resumed.take(3)).map((event) => event.seq)).toEqual([2, 3, 4]);
    expect(resumed.dropped).toEqual([]);
  });

  it('with one dropped notice for the events the ring no longer holds', async () => {
    await gets(10); // seqs 5..14; the ring holds 10..14
    const late = await EventCollector.follow(`${proxy.admin}/events`, { lastEventId: 3 });
    expect((await late.take(5)).map((event) => event.seq)).toEqual([10, 11, 12, 13, 14]);
    expect(late.dropped).toEqual([{ count: 6, firstSeq: 4, lastSeq: 9 }]);
  });
});

describe('the heartbeat', () => {
  it('comes as a comment every --event-heartbeat-ms while a stream is open', async () => {
    const { proxy } = await startStack({ proxyArgs: ['--event-heartbeat-ms', '100'] });
    const stop = new AbortController();
    const response = await fetch(`${proxy.admin}/events`, { signal: stop.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    let text = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (text.split(': heartbeat\n\n').length > 3) break;
      }
    } finally {
      stop.abort();
    }
    expect(text).toMatch(
      /^retry: 1000\nevent: connected\ndata: \{"app":"proxy",[^\n]*"heartbeatMs":100,[^\n]*\}\n\n(: heartbeat\n\n){3}/,
    );
  });
});

describe('a fill that a write raced', () => {
  it('is skipped: the value fetched before the write is not cached', async () => {
    // A server that holds back its answer to the read until the write arrives behind it, then
    // answers both in order: the read's (older) value reaches the proxy while the write is
    // still in flight.
    const peer = await scripted((line) => {
      if (line === 'OP=GET;IND=1;') return undefined;
      if (line === 'OP=PUT;IND=1;DATA=5;') return 'OP=GET;IND=1;DATA=0;\nOP=PUT;IND=1;DATA=5;';
      return `OP=ERR;CODE=INTERNAL;MSG=unexpected ${line};`;
    });
    // Pipelined from the first request (auto framing would wait for a first reply).
    const proxy = await startApp('proxy', [
      '--upstream',
      peer.target,
      '--upstream-framing',
      'line',
    ]);
    const collector = await EventCollector.follow(`${proxy.admin}/events`);
    const client = await connectTo(proxy.protocol);
    const replies = await Promise.all([
      client.send('OP=GET;IND=1;'),
      client.send('OP=PUT;IND=1;DATA=5;'),
    ]);
    expect(replies).toEqual(['OP=GET;IND=1;DATA=0;', 'OP=PUT;IND=1;DATA=5;']);
    expect(await client.send('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=5;');
    // Events are numbered as their replies are ready: the write, with fewer steps after its
    // answer, may be ready first.
    const [first, second, third] = (await collector.take(3)).map((event) => [
      event.op,
      decisionWords(event),
    ]);
    expect([first, second].sort()).toEqual([
      ['GET', ['miss 1', 'skipped 1=0']],
      ['PUT', ['written 1=5']],
    ]);
    expect(third).toEqual(['GET', ['hit 1']]);
  });
});

describe('the slow-request line', () => {
  it('warns about a request slower than --slow-ms, with where the time went, and holds back the next ones', async () => {
    const peer = await scripted(
      (line) =>
        new Promise((resolve) =>
          setTimeout(() => resolve(line.replace(/^(OP=GET;IND=(\d+);)$/, '$1DATA=7;')), 200),
        ),
    );
    const proxy = await startApp('proxy', ['--upstream', peer.target, '--slow-ms', '100']);
    // Nest's console logger writes warnings to stdout, a JSON logger to stderr: read both.
    const log = () => stripVTControlCharacters(proxy.stdout() + proxy.stderr());
    // The fields, whether the log line is JSON or Nest's console format.
    const field = (name: string) => new RegExp(`"?${name}"?:\\s*'?"?([^,'"\\n]+)`).exec(log())?.[1];
    const client = await connectTo(proxy.protocol);
    expect(await client.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=7;');
    await waitFor('the warning', () => (/slow request/.test(log()) ? true : undefined));
    // A hit, far quicker than 100 ms: no line.
    expect(await client.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=7;');
    // Another slow one within 10 s of the line: held back, counted in the next line.
    expect(await client.send('OP=GET;IND=4;')).toBe('OP=GET;IND=4;DATA=7;');
    await waitFor('both requests after it recorded', async () =>
      (await recent(proxy)).events.length === 3 ? true : undefined,
    );
    const stderr = log();
    expect(stderr.match(/slow request/g)).toHaveLength(1);
    expect(field('slowRequests')).toBe('1');
    expect({ op: field('op'), indices: field('indices'), source: field('source') }).toEqual({
      op: 'GET',
      indices: '1',
      source: 'upstream',
    });
    expect(Number(field('upstreamMs'))).toBeGreaterThanOrEqual(150);
    expect(Number(field('ms'))).toBeGreaterThanOrEqual(Number(field('upstreamMs')));
    expect(Number(field('cacheMs'))).toBeLessThan(100);
  });
});

describe('per-index heat', () => {
  it('counts each index, sorted by lookups, with Prometheus series for the --heat-series hottest only', async () => {
    const { proxy } = await startStack({ proxyArgs: ['--heat-series', '2', '--capacity', '2'] });
    const client = await connectTo(proxy.protocol);
    for (const message of [
      'OP=GET;IND=3;', // miss
      'OP=GET;IND=3,1;', // hit 3, miss 1
      'OP=ADD;IND=3,1;', // hits
      'OP=GET;IND=2;', // miss, evicts 3
      'OP=PUT;IND=4;DATA=1;', // write, evicts 1
    ]) {
      await client.send(message);
    }
    const { status, body } = await getJson<HeatView>(`${proxy.admin}/heat`);
    expect(status).toBe(200);
    expect({ limit: body.limit, tracked: body.tracked, exact: body.exact }).toEqual({
      limit: 10_000,
      tracked: 4,
      exact: true,
    });
    // Whole milliseconds, like every other duration the admin API gives in ms.
    for (const { idleMs } of body.indices) expect(Number.isInteger(idleMs)).toBe(true);
    expect(
      body.indices.map(({ index, lookups, hits, misses, writes, evictions, lookupsError }) => ({
        index,
        lookups,
        hits,
        misses,
        writes,
        evictions,
        lookupsError,
      })),
    ).toEqual([
      { index: 3, lookups: 3, hits: 2, misses: 1, writes: 0, evictions: 1, lookupsError: 0 },
      { index: 1, lookups: 2, hits: 1, misses: 1, writes: 0, evictions: 1, lookupsError: 0 },
      { index: 2, lookups: 1, hits: 0, misses: 1, writes: 0, evictions: 0, lookupsError: 0 },
      { index: 4, lookups: 0, hits: 0, misses: 0, writes: 1, evictions: 0, lookupsError: 0 },
    ]);
    for (const entry of body.indices) {
      expect(Math.abs(Date.parse(entry.lastAccess) - Date.now())).toBeLessThan(10_000);
      expect(entry.idleMs).toBeGreaterThanOrEqual(0);
    }
    expect(
      (await getJson<HeatView>(`${proxy.admin}/heat?limit=1`)).body.indices.map((e) => e.index),
    ).toEqual([3]);

    const { samples } = await scrape(proxy.admin);
    const series = (name: string) =>
      samples
        .filter((sample) => sample.name === name)
        .map((sample) => [sample.labels.index, sample.value]);
    expect(series('semicache_index_lookups_total')).toEqual([
      ['3', 3],
      ['1', 2],
    ]);
    expect(series('semicache_index_hits_total')).toEqual([
      ['3', 2],
      ['1', 1],
    ]);
    expect(series('semicache_index_evictions_total')).toEqual([
      ['3', 1],
      ['1', 1],
    ]);
  });
});

describe('a subscriber that never reads', () => {
  it('costs the proxy no more than its buffer: events are dropped, the protocol path goes on', async () => {
    const { proxy } = await startStack();
    const metric = async (name: string) =>
      (await scrape(proxy.admin)).samples.find((sample) => sample.name === name)?.value;
    const heapBefore = (await metric('nodejs_heap_size_used_bytes'))!;

    // A real SSE client that sends its request and then reads nothing at all.
    const admin = new URL(proxy.admin);
    const stalled = connect(Number(admin.port), admin.hostname);
    stalled.on('error', () => undefined);
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.pause();
    stalled.write(
      `GET /events HTTP/1.1\r\nHost: ${admin.host}\r\nAccept: text/event-stream\r\n\r\n`,
    );
    await waitFor('the subscriber', async () =>
      (await metric('semicache_event_subscribers')) === 1 ? true : undefined,
    );

    // Far more event text than the buffers on the way hold: 300,000 requests, pipelined. The
    // protocol path answers them all.
    const client = await connectTo(proxy.protocol);
    const requests = 300_000;
    const window = 500;
    for (let sent = 0; sent < requests; sent += window) {
      const replies = await Promise.all(
        Array.from({ length: window }, (_, n) => client.send(`OP=GET;IND=${(sent + n) % 5};`)),
      );
      expect(replies[window - 1]).toMatch(/^OP=GET;IND=\d;DATA=0;$/);
    }
    const { events, nextSeq } = await recent(proxy, '?limit=1000');
    expect(nextSeq).toBe(requests + 1);
    const average = events.reduce((sum, event) => sum + JSON.stringify(event).length, 0) / 1000;
    const eventText = average * requests;
    expect(eventText).toBeGreaterThan(50e6);
    // Loosely: the heap holds garbage between collections, never the stream's text.
    const grown = (await metric('nodejs_heap_size_used_bytes'))! - heapBefore;
    expect(grown).toBeLessThan(32e6);

    // When it reads at last: what the buffers on the way held, one dropped notice, then the
    // ring's events.
    let received = '';
    stalled.setEncoding('utf8');
    stalled.on('data', (text: string) => (received += text));
    stalled.resume();
    await waitFor(
      'the dropped notice and the ring after it',
      () => (received.includes(`id: ${requests}\n`) ? true : undefined),
      20_000,
    );
    expect(received.length).toBeLessThan(16e6);
    const notices = [...received.matchAll(/event: dropped\ndata: (\{[^\n]*\})\n/g)];
    expect(notices).toHaveLength(1);
    const { count } = JSON.parse(notices[0][1]) as { count: number };
    expect(count).toBeGreaterThan(requests * 0.9);
    expect(await metric('semicache_events_dropped_total')).toBe(count);
    stalled.destroy();
  });
});

describe('shutting down with streams open', () => {
  it('sends each stream what it has not been sent, ends it, and exits 0 without waiting', async () => {
    const { proxy } = await startStack();
    const collectors = await Promise.all(
      [1, 2].map(() => EventCollector.follow(`${proxy.admin}/events`)),
    );
    // Answered a moment before the signal: its event is still to be sent to the streams.
    const client = await connectTo(proxy.protocol);
    await client.send('OP=GET;IND=1;');
    const started = Date.now();
    expect(await proxy.stop('SIGTERM')).toBe(0);
    // Well within the apps' 5 s grace for in-flight replies: nothing waited on the streams.
    expect(Date.now() - started).toBeLessThan(4000);
    await waitFor('the streams to end', () =>
      collectors.every((collector) => collector.disconnected.length > 0) ? true : undefined,
    );
    for (const collector of collectors) {
      expect(collector.events.map((event) => [event.op, event.indices])).toEqual([['GET', [1]]]);
    }
  });
});
