// Issue 13 on the server: its own decision events (read, written, cleared) with their values,
// where each answer came from (the table, or the store it waited for), and the same endpoints
// and filters as the proxy's.
import { type RecentEvents, getJson } from '@semicache/client';
import { EventCollector, closeAllCollectors, decisionWords } from '../../../test/support/events';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { type RunningApp, startApp, stopAll } from '../../../test/support/processes';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

afterAll(async () => {
  await closeAllCollectors();
  closeAllConnections();
  await stopAll();
  removeTempDirs();
});

describe("the server's events", () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', ['--data-dir', makeTempDir('semicache-events-')]);
  });

  it('records every request with its decisions, in order, and what it waited for', async () => {
    const collector = await EventCollector.follow(`${server.admin}/events`);
    const first = await connectTo(server.protocol);
    const second = await connectTo(server.protocol);
    for (const message of ['OP=PUT;IND=1,2;DATA=10,-20;', 'OP=GET;IND=2,1,2;', 'OP=ADD;IND=1,2;']) {
      await first.send(message);
    }
    await second.send('OP=GET;IND=10;');
    await second.send('OP=CLR;');
    const seen = await collector.take(5);
    expect(
      seen.map((event) => [event.op, event.outcome, event.source, decisionWords(event)]),
    ).toEqual([
      ['PUT', 'ok', 'store', ['written 1=10', 'written 2=-20']],
      ['GET', 'ok', 'table', ['read 2=-20', 'read 1=10', 'read 2=-20']],
      ['ADD', 'ok', 'table', ['read 1=10', 'read 2=-20']],
      ['GET', 'error', 'error', []],
      ['CLR', 'ok', 'store', ['cleared 10']],
    ]);
    // The write and the clear waited for the disk (fdatasync), the reads for nothing.
    expect(seen.map((event) => event.storeUs !== undefined)).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
    expect(seen[0].storeUs).toBeLessThanOrEqual(seen[0].durationUs);
    expect(seen[3]).toMatchObject({ app: 'server', code: 'BAD_INDEX', indices: [10] });
    // Two connections, numbered in the order they were accepted.
    const [a, b] = [seen[0].conn!, seen[3].conn!];
    expect(b).toBeGreaterThan(a);
    expect(seen.map((event) => event.conn)).toEqual([a, a, a, b, b]);
  });

  it('filters /events/recent as the proxy does', async () => {
    const { body } = await getJson<RecentEvents>(`${server.admin}/events/recent?kind=read&index=1`);
    expect(body.app).toBe('server');
    expect(body.events.map((event) => event.op)).toEqual(['GET', 'ADD']);
  });
});
