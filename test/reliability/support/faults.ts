/**
 * Fault injection for the reliability suite: killing and restarting the server on its own port
 * and data directory, stopping and continuing it, restarting the proxy on its own port, and the
 * waits that go with them (all polled or event-driven, none fixed).
 */
import { ConnectionClosedError, type ProtocolConnection, ProxyAdmin } from '@semicache/client';
import type { Operation } from '../../support/history';
import { connectTo } from '../../support/line-client';
import { scrape, sampleValue } from '../../support/metrics';
import { type Endpoint, type RunningApp, startApp, waitFor } from '../../support/processes';

export const UPSTREAM_FAILURE = /^OP=ERR;CODE=(UPSTREAM_UNAVAILABLE|UPSTREAM_TIMEOUT);MSG=[^;]+;$/;
/** What a client records for a request whose connection closed before the reply. */
export const CLOSED = 'CLOSED:';

/** Counts completed operations, and lets a fault wait for a given count. */
export class Progress {
  private done = 0;

  get count(): number {
    return this.done;
  }

  tick(): void {
    this.done++;
  }

  /** Resolves once `count` operations have completed (polled). */
  reach(count: number, timeoutMs = 60_000): Promise<number> {
    return waitFor(
      `${count} operations done (at ${this.done})`,
      () => (this.done >= count ? this.done : undefined),
      timeoutMs,
      5,
    );
  }
}

/**
 * One shared wait for the proxy's upstream to be back (GET /health answers 200), so that clients
 * that just failed with UPSTREAM_* do not spin through their work while the server is away.
 */
export class UpstreamWatch {
  private pending: Promise<void> | undefined;

  constructor(private readonly proxy: () => RunningApp) {}

  whenUp(): Promise<void> {
    this.pending ??= waitFor(
      'the proxy to see its upstream up',
      async () => {
        const answer = await new ProxyAdmin(this.proxy().admin).health().catch(() => undefined);
        return answer?.status === 200 ? true : undefined;
      },
      30_000,
      10,
    ).then(
      () => {
        this.pending = undefined;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }
}

/** SIGKILLs `app` and starts a new one with `args` on the same protocol port. */
export async function killAndRestart(
  app: RunningApp,
  args: readonly string[],
): Promise<RunningApp> {
  const port = app.protocol.port;
  expect(await app.stop('SIGKILL')).toBeNull();
  const restarted = await startApp(app.name, ['--port', String(port), ...args]);
  expect(restarted.protocol.port).toBe(port);
  return restarted;
}

/** SIGKILLs the server and starts a new one on the same port and data directory. */
export function killAndRestartServer(
  server: RunningApp,
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<RunningApp> {
  return killAndRestart(server, ['--data-dir', dataDir, ...extraArgs]);
}

/** The proxy's count of upstream requests that timed out, and of connections it made upstream. */
export async function upstreamCounters(
  proxy: RunningApp,
): Promise<{ timeouts: number; connects: number }> {
  const samples = (await scrape(proxy.admin)).samples;
  let timeouts = 0;
  for (const op of ['GET', 'PUT', 'CLR', 'ADD']) {
    timeouts +=
      sampleValue(samples, 'semicache_upstream_requests_total', { op, outcome: 'timeout' }) ?? 0;
  }
  return { timeouts, connects: sampleValue(samples, 'semicache_upstream_connects_total') ?? 0 };
}

/**
 * SIGSTOPs the server until the proxy has given up on its connection (an upstream request timed
 * out with nothing heard for --upstream-timeout-ms) and connected again `rounds` times (the
 * stopped server's kernel still accepts connections), then SIGCONTs it. So the server wakes up
 * to requests on connections the proxy has dropped as well as on its current one. Resolves with
 * the length of the stop.
 */
export async function stopServerPastTimeout(
  server: RunningApp,
  proxy: RunningApp,
  rounds = 2,
): Promise<number> {
  const before = await upstreamCounters(proxy);
  const stoppedAt = Date.now();
  server.child.kill('SIGSTOP');
  try {
    await waitFor(
      'the proxy to time out on the stopped server and connect again',
      async () => {
        const now = await upstreamCounters(proxy);
        return now.timeouts >= before.timeouts + rounds && now.connects >= before.connects + rounds
          ? true
          : undefined;
      },
      30_000,
      25,
    );
  } finally {
    // Never leave a stopped process behind, whatever happened above.
    server.child.kill('SIGCONT');
  }
  return Date.now() - stoppedAt;
}

/** SIGTERMs the proxy (expecting a graceful exit 0) and starts a new one on the same port. */
export async function restartProxy(
  proxy: RunningApp,
  upstream: Endpoint,
  extraArgs: readonly string[] = [],
): Promise<RunningApp> {
  const port = proxy.protocol.port;
  expect(await proxy.stop('SIGTERM')).toBe(0);
  const restarted = await startApp('proxy', [
    '--port',
    String(port),
    '--upstream',
    `${upstream.host}:${upstream.port}`,
    ...extraArgs,
  ]);
  expect(restarted.protocol.port).toBe(port);
  return restarted;
}

/** Connects to `endpoint`, retrying while nothing listens there (polled). */
export function reconnect(endpoint: Endpoint, timeoutMs = 30_000): Promise<ProtocolConnection> {
  return waitFor(
    `a connection to ${endpoint.host}:${endpoint.port}`,
    () => connectTo(endpoint).catch(() => undefined),
    timeoutMs,
    10,
  );
}

export interface ClientRun {
  /** Times the client had to connect again after its connection closed. */
  reconnections: number;
}

/**
 * Runs one client's operations (from test/support/history.ts) against `endpoint` while faults
 * are injected: a request whose connection closes before its reply is recorded as
 * `CLOSED: ...` and the client connects again (polling until something listens); after a reply
 * that `failure` matches (UPSTREAM_* by default) it waits for the proxy to be ready again (if
 * `watch` is given). Every completed operation ticks `progress`.
 */
export async function runThroughFaults(
  endpoint: Endpoint,
  operations: readonly Operation[],
  progress: Progress,
  watch?: UpstreamWatch,
  failure: RegExp = UPSTREAM_FAILURE,
): Promise<ClientRun> {
  const run: ClientRun = { reconnections: 0 };
  let connection = await connectTo(endpoint);
  for (const operation of operations) {
    operation.invokedAt = process.hrtime.bigint();
    operation.reply = await connection.send(operation.message).catch((error: unknown) => {
      // The only failure `send` has: the connection closed before the reply.
      if (!(error instanceof ConnectionClosedError)) throw error;
      return `${CLOSED} ${error.message}`;
    });
    operation.completedAt = process.hrtime.bigint();
    progress.tick();
    if (operation.reply.startsWith(CLOSED)) {
      connection.close();
      connection = await reconnect(endpoint);
      run.reconnections++;
    } else if (watch !== undefined && failure.test(operation.reply)) {
      await watch.whenUp();
    }
  }
  connection.close();
  return run;
}
