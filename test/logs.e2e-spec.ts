// The apps' logs, read from the stderr of real processes: one JSON object per line, one line
// per change of state (never one per request or per retry at info), bounded complaints about a
// client's bad input, and the ready line alone on stdout.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeAllConnections, connectTo } from './support/line-client';
import { type LogLine, linesWith, logLines } from './support/logs';
import { freePort } from './support/ports';
import { type RunningApp, startApp, stopAll, waitFor } from './support/processes';
import { RawClient, closeAllRawClients } from './support/raw-client';
import { makeTempDir, removeTempDirs } from './support/temp-dirs';

jest.setTimeout(60_000);

afterEach(async () => {
  closeAllConnections();
  closeAllRawClients();
  await stopAll();
});
afterAll(() => removeTempDirs());

/** Waits for exactly one line with this message, and returns it. */
async function oneLine(app: RunningApp, msg: string, timeoutMs?: number): Promise<LogLine> {
  const [line] = await waitFor(
    `"${msg}" in the ${app.name}'s log`,
    () => {
      const found = linesWith(app.stderr(), msg);
      return found.length > 0 ? found : undefined;
    },
    timeoutMs,
  );
  return line;
}

describe('the log format', () => {
  it('json: every stderr line is an object with time, level, app and msg; stdout holds the ready line alone, also after SIGTERM', async () => {
    const server = await startApp('server', ['--in-memory', '--log-format', 'json']);
    const listening = await oneLine(server, 'listening');
    expect(listening).toEqual(
      expect.objectContaining({
        level: 'info',
        app: 'server',
        protocol: `${server.protocol.host}:${server.protocol.port}`,
        admin: server.admin,
      }),
    );
    expect(await server.stop('SIGTERM')).toBe(0);
    const lines = logLines(server.stderr());
    for (const line of lines) {
      expect(line).toEqual(
        expect.objectContaining({
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          level: expect.stringMatching(/^(debug|info|warn|error|fatal)$/),
          app: 'server',
          msg: expect.any(String),
        }),
      );
    }
    expect(server.stdout()).toBe(`${server.readyLine}\n`);
  });

  it('pretty: one readable line each, fields as key=value', async () => {
    const server = await startApp('server', ['--in-memory', '--log-format', 'pretty']);
    const protocol = `${server.protocol.host}:${server.protocol.port}`;
    const listening = await waitFor('the listening line', () =>
      server
        .stderr()
        .split('\n')
        .find((line) => line.includes('listening')),
    );
    expect(listening).toMatch(
      new RegExp(
        `^\\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO: server/Lifecycle: listening protocol=${protocol} admin=${server.admin}$`,
      ),
    );
  });
});

describe('the server', () => {
  it('tells what it recovered at start: an unclean stop, the log records replayed, a damaged tail dropped', async () => {
    const dataDir = makeTempDir();
    const args = ['--data-dir', dataDir];
    const first = await startApp('server', args);
    expect(await oneLine(first, 'data directory locked')).toMatchObject({ dir: dataDir });
    expect(await oneLine(first, 'table opened')).toMatchObject({
      dir: dataDir,
      entries: 10,
      snapshot: false,
      logRecords: 0,
      droppedBytes: 0,
    });
    const client = await connectTo(first.protocol);
    for (const put of ['OP=PUT;IND=1;DATA=1;', 'OP=PUT;IND=2;DATA=2;', 'OP=CLR;']) {
      expect(await client.send(put)).toBe(put);
    }
    expect(await first.stop('SIGKILL')).toBeNull();
    // What a crash amid an append leaves: the start of a record, without its newline.
    appendFileSync(join(dataDir, 'table.log'), '1234abcd P 3=', 'latin1');

    const second = await startApp('server', args);
    expect(await oneLine(second, 'data directory locked after an unclean stop')).toMatchObject({
      level: 'warn',
      dir: dataDir,
      previousPid: first.child.pid,
    });
    expect(await oneLine(second, 'unfinished write dropped')).toMatchObject({
      level: 'warn',
      file: join(dataDir, 'table.log'),
      bytes: 13,
    });
    expect(await oneLine(second, 'table opened')).toMatchObject({
      snapshot: true,
      logRecords: 3,
      droppedBytes: 13,
    });
  });

  it('SIGTERM: logs the shutdown begun, the connections closed with the replies still answered, and the time taken; exit 0', async () => {
    // A whole request without its terminator waits for the bare-message pause: SIGTERM comes
    // while it waits, so the shutdown still answers it.
    const server = await startApp('server', [
      ...['--in-memory', '--bare-message-delay-ms', '2000'],
    ]);
    const client = await RawClient.open(server.protocol);
    client.write('OP=PUT;IND=1;DATA=5;\nOP=GET;IND=1');
    expect(await client.readLine()).toBe('OP=PUT;IND=1;DATA=5;');
    const exit = server.stop('SIGTERM');
    expect(await client.readLine()).toBe('OP=GET;IND=1;DATA=5;');
    expect(await exit).toBe(0);
    const stderr = server.stderr();
    expect(linesWith(stderr, 'shutting down')).toEqual([
      expect.objectContaining({ level: 'info', signal: 'SIGTERM' }),
    ]);
    expect(linesWith(stderr, 'connections closed')).toEqual([
      expect.objectContaining({
        connections: 1,
        repliesAnswered: 1,
        cut: 0,
        ms: expect.any(Number),
      }),
    ]);
    expect(linesWith(stderr, 'shut down')).toEqual([
      expect.objectContaining({ ms: expect.any(Number) }),
    ]);
    const order = logLines(stderr).map((line) => line.msg);
    expect(order.slice(-3)).toEqual(['shutting down', 'connections closed', 'shut down']);
    expect(server.stdout()).toBe(`${server.readyLine}\n`);
  });

  it('a client sending garbage in a loop: one warning for its connection, and the count of the rest when it goes', async () => {
    const server = await startApp('server', ['--in-memory']);
    const client = await RawClient.open(server.protocol);
    const rounds = 20;
    const perRound = 100;
    for (let round = 0; round < rounds; round++) {
      client.write(Array.from({ length: perRound }, (_, i) => `garbage ${round} ${i}\n`).join(''));
      const replies = await client.readLines(perRound);
      expect(replies.every((reply) => reply.startsWith('OP=ERR;CODE=BAD_SYNTAX;'))).toBe(true);
    }
    // A good request on the same connection changes nothing in the log.
    expect(await client.request('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=0;');
    const warnings = linesWith(server.stderr(), 'bad requests');
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        conn: expect.any(Number),
        peer: `127.0.0.1:${client.socket.localPort}`,
        code: 'BAD_SYNTAX',
        error: expect.stringContaining('garbage 0 0'),
        errors: 1,
      }),
    ]);
    client.close();
    expect(await oneLine(server, 'connection closed after bad requests')).toEqual(
      expect.objectContaining({
        level: 'info',
        conn: warnings[0].conn,
        errors: rounds * perRound - 1,
      }),
    );
    expect(logLines(server.stderr()).filter((line) => line.level === 'warn')).toHaveLength(1);
  });

  it('one warning for connections refused as BUSY, not one each', async () => {
    const server = await startApp('server', ['--in-memory', '--max-connections', '1']);
    const kept = await RawClient.open(server.protocol);
    expect(await kept.request('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=0;');
    for (let i = 0; i < 5; i++) {
      const refused = await RawClient.open(server.protocol);
      expect(await refused.readLine()).toMatch(/^OP=ERR;CODE=BUSY;/);
    }
    expect(await oneLine(server, 'connections refused: BUSY')).toEqual(
      expect.objectContaining({ level: 'warn', maxConnections: 1, refused: 1 }),
    );
    expect(linesWith(server.stderr(), 'connections refused: BUSY')).toHaveLength(1);
  });

  it('tells a connection closed for idleness', async () => {
    const server = await startApp('server', ['--in-memory', '--idle-timeout-ms', '300']);
    const client = await RawClient.open(server.protocol);
    const peer = `127.0.0.1:${client.socket.localPort}`;
    await client.whenClosed();
    expect(await oneLine(server, 'idle connection closed')).toEqual(
      expect.objectContaining({
        level: 'info',
        peer,
        idleTimeoutMs: 300,
      }),
    );
  });

  it('no line per request at info; at --log-level debug one each, with connection, op, outcome and duration', async () => {
    const requests = ['OP=GET;IND=1;', 'OP=PUT;IND=2;DATA=7;', 'OP=GET;IND=99;', 'OP=NOPE;'];
    const quiet = await startApp('server', ['--in-memory']);
    const verbose = await startApp('server', ['--in-memory', '--log-level', 'debug']);
    for (const server of [quiet, verbose]) {
      const client = await RawClient.open(server.protocol);
      for (const request of requests) await client.request(request);
    }
    const outcomes = () => linesWith(verbose.stderr(), 'request').map((line) => line.outcome);
    await waitFor('four request lines', () => (outcomes().length === 4 ? true : undefined));
    expect(linesWith(verbose.stderr(), 'request')).toEqual([
      expect.objectContaining({ level: 'debug', conn: 1, op: 'GET', ms: expect.any(Number) }),
      expect.objectContaining({ conn: 1, op: 'PUT' }),
      expect.objectContaining({ conn: 1, op: 'GET' }),
      expect.objectContaining({ conn: 1, op: 'none' }),
    ]);
    expect(outcomes()).toEqual(['ok', 'ok', 'BAD_INDEX', 'UNKNOWN_OP']);
    expect(await quiet.stop('SIGTERM')).toBe(0);
    const quietLines = logLines(quiet.stderr());
    expect(quietLines.filter((line) => line.level === 'debug')).toEqual([]);
    expect(quietLines.map((line) => line.msg)).toEqual([
      'table opened',
      'listening',
      'bad requests',
      'shutting down',
      'connections closed',
      'shut down',
    ]);
  });
});

describe('the proxy and its upstream', () => {
  it('down at start: one warning naming it and the reason, none per retry; one "connected" line with the downtime when it comes; lost and back', async () => {
    const port = await freePort();
    const upstream = `127.0.0.1:${port}`;
    // At debug (through the variable) every attempt has its own line, which shows the retries
    // happen; the state lines are the same at any level.
    const proxy = await startApp(
      'proxy',
      ['--upstream', upstream, '--reconnect-min-ms', '10', '--reconnect-max-ms', '40'],
      { env: { SEMICACHE_PROXY_LOG_LEVEL: 'debug' } },
    );
    const stateLines = () =>
      logLines(proxy.stderr()).filter(
        (line) => line.context === 'Upstream' && line.level !== 'debug',
      );
    // Logged at the first attempt, which is before the ready line: within a second of it.
    await waitFor('the warning', () => (stateLines().length > 0 ? true : undefined), 1000);
    await waitFor('twenty retries', () =>
      linesWith(proxy.stderr(), 'upstream connection failed').length >= 20 ? true : undefined,
    );
    expect(stateLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'upstream unreachable',
        upstream,
        reason: 'refused',
      }),
    ]);

    const server = await startApp('server', ['--in-memory', '--port', String(port)]);
    const connected = await oneLine(proxy, 'upstream connected');
    expect(connected).toEqual(
      expect.objectContaining({ level: 'info', upstream, downMs: expect.any(Number) }),
    );
    expect(connected.downMs).toBeGreaterThan(0);

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await oneLine(proxy, 'upstream lost')).toEqual(
      expect.objectContaining({ level: 'warn', upstream, reason: 'closed by the peer' }),
    );
    const lostAt = linesWith(proxy.stderr(), 'upstream connection failed').length;
    await waitFor('twenty more retries', () =>
      linesWith(proxy.stderr(), 'upstream connection failed').length >= lostAt + 20
        ? true
        : undefined,
    );
    await startApp('server', ['--in-memory', '--port', String(port)]);
    await waitFor('the second connection', () =>
      linesWith(proxy.stderr(), 'upstream connected').length === 2 ? true : undefined,
    );
    expect(stateLines().map((line) => [line.msg, line.reason ?? typeof line.downMs])).toEqual([
      ['upstream unreachable', 'refused'],
      ['upstream connected', 'number'],
      ['upstream lost', 'closed by the peer'],
      ['upstream connected', 'number'],
    ]);

    expect(await proxy.stop('SIGTERM')).toBe(0);
    expect(
      logLines(proxy.stderr())
        .map((line) => line.msg)
        .slice(-3),
    ).toEqual(['shutting down', 'connections closed', 'shut down']);
    expect(proxy.stdout()).toBe(`${proxy.readyLine}\n`);
  });
});
