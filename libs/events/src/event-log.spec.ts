import { performance } from 'node:perf_hooks';
import { EventLog, NOTIFY_DELAY_MS } from './event-log';
import { EventRecord, MAX_EVENT_DECISIONS, MAX_EVENT_INDICES, NO_CONNECTION } from './event-record';
import { KIND } from './kinds';
import { slowRequestFields } from './slow-request';

const proxyLog = (capacity = 4) =>
  new EventLog({ app: 'proxy', capacity, sources: ['cache', 'upstream'], waitField: 'upstreamUs' });

/** Records one request the way the transport does: take, begin, fill, finish, commit. */
function record(
  log: EventLog,
  fill: (record: EventRecord) => void,
  conn = 3,
  op = 'GET',
  indices: number[] = [1],
): EventRecord {
  const event = log.take();
  event.begin(conn, performance.now(), log.defaultSource);
  event.request(op, indices);
  fill(event);
  event.finish(performance.now());
  log.commit(event);
  log.release(event);
  return event;
}

const parsed = (log: EventLog, seq: number) => JSON.parse(log.json(seq)) as Record<string, unknown>;

describe('EventLog', () => {
  it('numbers events from 1 and holds the last `capacity` of them', () => {
    const log = proxyLog(3);
    expect([log.nextSeq, log.oldestSeq, log.holds(1)]).toEqual([1, 1, false]);
    for (let i = 0; i < 5; i++) record(log, () => undefined, i);
    expect([log.nextSeq, log.oldestSeq]).toEqual([6, 3]);
    expect([log.holds(2), log.holds(3), log.holds(5), log.holds(6)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect([3, 4, 5].map((seq) => [log.at(seq).seq, log.at(seq).conn])).toEqual([
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
  });

  it('copies a record on commit, so one record serves request after request', () => {
    const log = proxyLog(4);
    const seen = new Set<EventRecord>();
    for (let i = 0; i < 100; i++) {
      seen.add(record(log, (event) => event.decide(KIND.hit, i), i));
    }
    expect(seen.size).toBe(1);
    // The ring kept each event as it was when committed.
    expect([97, 98, 99, 100].map((seq) => parsed(log, seq).decisions)).toEqual(
      [96, 97, 98, 99].map((index) => [{ kind: 'hit', index }]),
    );
  });

  it('writes an event as the documented JSON, decisions in order', () => {
    const log = proxyLog();
    record(
      log,
      (event) => {
        event.decide(KIND.hit, 1);
        event.decide(KIND.miss, 7);
        event.waited(210);
        event.decide(KIND.evicted, 3, 4200, 'oldest');
        event.decide(KIND.stored, 7, undefined, -9223372036854775808n);
        event.source = 'upstream';
      },
      17,
      'GET',
      [1, 7],
    );
    const json = parsed(log, 1);
    expect(json).toEqual({
      seq: 1,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      app: 'proxy',
      conn: 17,
      op: 'GET',
      indices: [1, 7],
      outcome: 'ok',
      durationUs: expect.any(Number),
      source: 'upstream',
      upstreamUs: 210,
      decisions: [
        { kind: 'hit', index: 1 },
        { kind: 'miss', index: 7, upstreamUs: 210 },
        { kind: 'evicted', index: 3, ageMs: 4200, reason: 'oldest' },
        { kind: 'stored', index: 7, value: '-9223372036854775808' },
      ],
    });
    expect(Math.abs(Date.parse(json.time as string) - Date.now())).toBeLessThan(1000);
  });

  it('writes an error with its code and message, a null OP and no connection', () => {
    const log = proxyLog();
    record(log, (event) => event.fail('BAD_SYNTAX', 'a "quoted" word; and more'), 5, null!, []);
    log.recordOutside('CONFIG', (event) => event.decide(KIND.evicted, 2, 10, 'least-recent'));
    expect(parsed(log, 1)).toMatchObject({
      conn: 5,
      op: null,
      indices: [],
      outcome: 'error',
      code: 'BAD_SYNTAX',
      message: 'a "quoted" word; and more',
      source: 'error',
      decisions: [],
    });
    expect(parsed(log, 2)).toMatchObject({
      conn: null,
      op: 'CONFIG',
      outcome: 'ok',
      decisions: [{ kind: 'evicted', index: 2, ageMs: 10, reason: 'least-recent' }],
    });
    expect(log.at(2).conn).toBe(NO_CONNECTION);
  });

  it('lists the first indices and decisions of a huge request and counts the rest', () => {
    const log = proxyLog();
    const indices = Array.from({ length: 500 }, (_, i) => i);
    record(
      log,
      (event) => {
        for (const index of indices) event.decide(KIND.hit, index);
        event.decide(KIND.cleared, -1, 5);
      },
      1,
      'GET',
      indices,
    );
    const json = parsed(log, 1);
    expect((json.indices as number[]).length).toBe(MAX_EVENT_INDICES);
    expect((json.decisions as unknown[]).length).toBe(MAX_EVENT_DECISIONS);
    expect(json.omitted).toEqual({
      indices: 500 - MAX_EVENT_INDICES,
      decisions: 501 - MAX_EVENT_DECISIONS,
    });
  });

  it('reuses a slot for a later event without a trace of the one before', () => {
    const log = proxyLog(1);
    record(log, (event) => {
      event.decide(KIND.stored, 1, undefined, 5n);
      event.fail('BAD_INDEX', 'no');
    });
    record(log, (event) => event.decide(KIND.miss, 2));
    expect(parsed(log, 2)).toMatchObject({
      outcome: 'ok',
      decisions: [{ kind: 'miss', index: 2 }],
    });
    expect(parsed(log, 2).code).toBeUndefined();
  });

  it('tells subscribers of new events together a moment later, never on the committing path', () => {
    jest.useFakeTimers();
    try {
      const log = proxyLog(100);
      const heard: number[] = [];
      const unsubscribe = log.subscribe(() => heard.push(log.nextSeq));
      record(log, () => undefined);
      jest.advanceTimersByTime(NOTIFY_DELAY_MS - 1);
      record(log, () => undefined);
      expect(heard).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(heard).toEqual([3]);
      unsubscribe();
      record(log, () => undefined);
      jest.advanceTimersByTime(NOTIFY_DELAY_MS);
      expect(heard).toEqual([3]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('tells them at once when the events not yet told of fill a quarter of the ring', () => {
    jest.useFakeTimers();
    try {
      const log = proxyLog(8);
      const heard: number[] = [];
      log.subscribe(() => heard.push(log.nextSeq));
      record(log, () => undefined);
      jest.runOnlyPendingTimers(); // the delay: told of 1
      record(log, () => undefined);
      record(log, () => undefined);
      // Two of eight not told of: the next turn, not 10 ms later.
      jest.advanceTimersByTime(0);
      expect(heard).toEqual([2, 4]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => proxyLog(0)).toThrow(/positive capacity/);
  });
});

describe('slowRequestFields', () => {
  it('says where the time of a slow request went, from its event', () => {
    const log = proxyLog();
    const event = record(
      log,
      (event) => {
        event.decide(KIND.miss, 7);
        event.waited(250_400);
        event.source = 'upstream';
        event.startedAt -= 251.5; // it took about 251.5 ms
      },
      4,
      'GET',
      [1, 7],
    );
    const fields = slowRequestFields(event, log);
    expect(fields).toMatchObject({
      msg: 'slow request',
      seq: 1,
      conn: 4,
      op: 'GET',
      indices: 2,
      outcome: 'ok',
      source: 'upstream',
      upstreamMs: 250.4,
    });
    expect(fields.ms as number).toBeGreaterThanOrEqual(251.5);
    expect(fields.cacheMs).toBeCloseTo((fields.ms as number) - 250.4, 3);
  });

  it("names the server's wait storeMs and its own part tableMs", () => {
    const log = new EventLog({
      app: 'server',
      capacity: 2,
      sources: ['table', 'store'],
      waitField: 'storeUs',
    });
    const event = record(log, (event) => event.fail('INTERNAL', 'disk'), 1, 'PUT', [1]);
    expect(slowRequestFields(event, log)).toMatchObject({
      outcome: 'INTERNAL',
      source: 'error',
      storeMs: 0,
      tableMs: expect.any(Number),
    });
  });
});

describe('EventLog: lending records to handlers', () => {
  it("gives each handler its own request's record, in order or not, once", () => {
    const log = proxyLog();
    const requests = Array.from({ length: 200 }, (_, i) => ({ op: 'GET', i }));
    const records = requests.map(() => log.take());
    requests.forEach((request, i) => log.lend(request, records[i]));
    // Out of order first, then in order; past the queue's first size of 64.
    expect(log.borrow(requests[7])).toBe(records[7]);
    expect(log.borrow(requests[7])).toBeUndefined();
    for (let i = 0; i < 200; i++) if (i !== 7) expect(log.borrow(requests[i])).toBe(records[i]);
    expect(log.borrow({ op: 'GET' })).toBeUndefined();
    expect(records.every((record) => !record.lent)).toBe(true);
  });

  it('takes back a record whose handler never borrowed it', () => {
    const log = proxyLog();
    const [first, second] = [{}, {}];
    const [a, b] = [log.take(), log.take()];
    log.lend(first, a);
    log.lend(second, b);
    log.reclaim(a);
    expect(a.lent).toBe(false);
    expect(log.borrow(first)).toBeUndefined();
    expect(log.borrow(second)).toBe(b);
    log.reclaim(b); // borrowed already: nothing to do
    expect(b.lent).toBe(false);
  });
});
