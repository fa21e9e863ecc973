import { performance } from 'node:perf_hooks';
import { EventFilterError, parseEventFilter } from './event-filter';
import { EventLog } from './event-log';
import {
  type EventSink,
  EventSubscriber,
  MAX_CHUNK_LENGTH,
  recentEventsJson,
  resumeSeq,
} from './event-stream';
import { KIND } from './kinds';

const newLog = (capacity = 10) =>
  new EventLog({ app: 'proxy', capacity, sources: ['cache', 'upstream'], waitField: 'upstreamUs' });

/** Commits one event: `op` on `indices`, with `decisions` as [kind, index] pairs. */
function add(log: EventLog, op: string, indices: number[], decisions: [number, number][] = []) {
  const event = log.take();
  event.begin(1, performance.now(), log.defaultSource);
  event.request(op, indices);
  for (const [kind, index] of decisions) {
    if (kind === KIND.evicted) event.decide(kind, index, 10, 'oldest');
    else event.decide(kind, index, kind === KIND.cleared ? 3 : -1);
  }
  event.finish(performance.now());
  log.commit(event);
  log.release(event);
}

/** A socket that takes `room` writes, then buffers until the test drains it. */
class FakeSink implements EventSink {
  readonly chunks: string[] = [];
  private drain: (() => void) | undefined;

  constructor(private room = Infinity) {}

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return --this.room > 0;
  }

  once(_event: 'drain', listener: () => void): unknown {
    this.drain = listener;
    return this;
  }

  /** The reader takes everything and leaves room for `room` more writes. */
  drained(room = Infinity): void {
    this.room = room;
    const drain = this.drain;
    this.drain = undefined;
    drain?.();
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** The SSE frames written: `event` (undefined for a plain event), `id`, parsed `data`. */
  frames(): { event?: string; id?: number; data: Record<string, unknown> }[] {
    return this.text
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => {
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
        const id = field('id');
        return {
          event: field('event'),
          id: id === undefined ? undefined : Number(id),
          data: JSON.parse(field('data')!) as Record<string, unknown>,
        };
      });
  }
}

const seqs = (sink: FakeSink) =>
  sink
    .frames()
    .filter((frame) => frame.event === undefined)
    .map((frame) => frame.id);

describe('parseEventFilter', () => {
  it.each([
    [{ index: '1, 7' }, 'indices', [1, 7]],
    [{ index: ['1', '2,3'] }, 'indices', [1, 2, 3]],
    [{ kind: 'miss,Evicted' }, 'kinds', [KIND.miss, KIND.evicted]],
    [{ op: 'put,get' }, 'ops', ['PUT', 'GET']],
  ])('reads %j', (query, part, expected) => {
    const filter = parseEventFilter(query) as Record<string, Set<unknown>>;
    expect([...filter[part]]).toEqual(expected);
  });

  it.each([
    [{ index: '1,x' }, /index: "x" is not an index/],
    [{ index: '1,,2' }, /index: "" is not an index/],
    [{ index: '-1' }, /index: "-1"/],
    [{ index: '99999999999' }, /index: "99999999999"/],
    [{ kind: 'hits' }, /kind: "hits" is not a decision kind \(one of hit, miss, /],
    [{ op: 'DEL' }, /op: "DEL" is not an OP \(one of GET, PUT, CLR, ADD, CONFIG, INVALIDATE\)/],
  ])('refuses %j', (query, message) => {
    expect(() => parseEventFilter(query)).toThrow(EventFilterError);
    expect(() => parseEventFilter(query)).toThrow(message);
  });
});

describe('EventSubscriber', () => {
  it('starts with the connected notice and sends new events with their seq as id', () => {
    const log = newLog();
    add(log, 'GET', [1]);
    const sink = new FakeSink();
    const subscriber = new EventSubscriber(log, sink, {}, resumeSeq(log, undefined));
    log.subscribe(() => subscriber.pump());
    subscriber.open(15_000);
    add(log, 'PUT', [2]);
    add(log, 'GET', [3]);
    // What the log's subscription does, a moment after the commits.
    subscriber.pump();
    expect(
      sink.text.startsWith(
        `retry: 1000\nevent: connected\ndata: {"app":"proxy","run":"${log.run}","heartbeatMs":15000,"nextSeq":2,`,
      ),
    ).toBe(true);
    expect(seqs(sink)).toEqual([2, 3]);
    expect(sink.frames().map((frame) => frame.data.op)).toEqual([undefined, 'PUT', 'GET']);
  });

  it('sends only the events its filter matches', () => {
    const log = newLog();
    add(log, 'GET', [1], [[KIND.hit, 1]]);
    add(
      log,
      'GET',
      [2],
      [
        [KIND.miss, 2],
        [KIND.evicted, 5],
        [KIND.stored, 2],
      ],
    );
    add(log, 'PUT', [5], [[KIND.written, 5]]);
    add(log, 'CLR', [], [[KIND.cleared, -1]]);
    const run = (query: Record<string, string>) => {
      const sink = new FakeSink();
      new EventSubscriber(log, sink, parseEventFilter(query), 1).pump();
      return seqs(sink);
    };
    expect(run({})).toEqual([1, 2, 3, 4]);
    expect(run({ op: 'get' })).toEqual([1, 2]);
    expect(run({ kind: 'evicted,written' })).toEqual([2, 3]);
    // An evicted index counts, and a clear concerns every index.
    expect(run({ index: '5' })).toEqual([2, 3, 4]);
    expect(run({ index: '5', op: 'GET', kind: 'miss' })).toEqual([2]);
  });

  it('resumes after Last-Event-ID from the ring, or says how many events are gone', () => {
    const log = newLog(3);
    for (let i = 0; i < 5; i++) add(log, 'GET', [i]);
    // Holds 3, 4, 5.
    expect([resumeSeq(log, '3'), resumeSeq(log, ' 4 '), resumeSeq(log, 'x')]).toEqual([4, 5, 6]);
    const resumed = new FakeSink();
    new EventSubscriber(log, resumed, {}, resumeSeq(log, '3')).pump();
    expect(seqs(resumed)).toEqual([4, 5]);

    const late = new FakeSink();
    const lost: number[] = [];
    new EventSubscriber(log, late, {}, resumeSeq(log, '0'), (count) => lost.push(count)).pump();
    expect(late.frames()[0]).toEqual({
      event: 'dropped',
      id: undefined,
      data: { count: 2, firstSeq: 1, lastSeq: 2 },
    });
    expect(seqs(late)).toEqual([3, 4, 5]);
    expect(lost).toEqual([2]);
  });

  it('sends all this run holds to an id from an earlier run (one the log has not reached)', () => {
    const log = newLog(3);
    for (let i = 0; i < 2; i++) add(log, 'GET', [i]);
    const sink = new FakeSink();
    new EventSubscriber(log, sink, {}, resumeSeq(log, '4521')).pump();
    expect(seqs(sink)).toEqual([1, 2]);
  });

  it('tells an earlier run by Last-Event-Run, even when this run has passed its id', () => {
    const log = newLog(10);
    for (let i = 0; i < 5; i++) add(log, 'GET', [i]);
    expect(resumeSeq(log, '2', log.run)).toBe(3);
    expect(resumeSeq(log, '2', 'an-earlier-run')).toBe(1);
    expect(resumeSeq(log, '9', log.run)).toBe(10);
  });

  it('stops writing while the socket buffers, then sends one dropped notice for what the ring lost', () => {
    const log = newLog(5);
    const sink = new FakeSink(1);
    const lost: number[] = [];
    const subscriber = new EventSubscriber(log, sink, {}, 1, (count) => lost.push(count));
    add(log, 'GET', [0]);
    subscriber.pump(); // the socket is full after this write
    for (let i = 1; i <= 20; i++) {
      add(log, 'GET', [i]);
      subscriber.pump();
    }
    expect(sink.chunks).toHaveLength(1);
    sink.drained();
    expect(lost).toEqual([15]);
    expect(sink.frames().filter((frame) => frame.event === 'dropped')).toEqual([
      { event: 'dropped', id: undefined, data: { count: 15, firstSeq: 2, lastSeq: 16 } },
    ]);
    expect(seqs(sink)).toEqual([1, 17, 18, 19, 20, 21]);
  });

  it('writes at most one chunk beyond what the socket took', () => {
    const log = newLog(2000);
    for (let i = 0; i < 2000; i++) add(log, 'GET', [i]);
    const sink = new FakeSink(1);
    new EventSubscriber(log, sink, {}, 1).pump();
    expect(sink.chunks).toHaveLength(1);
    expect(sink.chunks[0].length).toBeLessThan(MAX_CHUNK_LENGTH + 1000);
    expect(sink.chunks[0].length).toBeGreaterThanOrEqual(MAX_CHUNK_LENGTH);
  });

  it('sends a heartbeat comment only while the socket takes writes', () => {
    const log = newLog();
    const sink = new FakeSink(2);
    const subscriber = new EventSubscriber(log, sink, {}, 1);
    subscriber.heartbeat();
    subscriber.heartbeat(); // fills the socket
    subscriber.heartbeat();
    expect(sink.chunks).toEqual([': heartbeat\n\n', ': heartbeat\n\n']);
  });
});

describe('recentEventsJson', () => {
  it('gives the last matching events, oldest first', () => {
    const log = newLog(4);
    for (let i = 0; i < 6; i++) add(log, i % 2 === 0 ? 'GET' : 'PUT', [i]);
    const seqsOf = (text: string) => (JSON.parse(text) as { seq: number }[]).map((e) => e.seq);
    expect(seqsOf(recentEventsJson(log, 100, {}))).toEqual([3, 4, 5, 6]);
    expect(seqsOf(recentEventsJson(log, 2, {}))).toEqual([5, 6]);
    expect(seqsOf(recentEventsJson(log, 100, parseEventFilter({ op: 'GET' })))).toEqual([3, 5]);
    expect(recentEventsJson(newLog(), 10, {})).toBe('[]');
  });
});
