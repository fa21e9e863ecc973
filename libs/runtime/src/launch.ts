import { type DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventLog } from '@semicache/events';
import { SemicolonServer, hostPort } from '@semicache/transport';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serveAdminPage } from './admin-page';
import type { EventsConfig } from './events/events.config';
import { EVENT_LOG } from './events/events.tokens';
import { type AppLogger, type LoggingConfig, installLogger } from './logging';
import type { ListenerConfig } from './options';
import { TransportMetrics } from './transport-metrics';

// Where the apps have always found it; it lives in the transport, which names peers with it too.
export { hostPort };

export interface LaunchSpec {
  readonly name: 'server' | 'proxy';
  readonly module: DynamicModule;
  readonly listener: ListenerConfig & EventsConfig;
  readonly logging: LoggingConfig;
  /** Extra `key=value` words for the ready line. */
  readonly readyDetails?: (app: NestFastifyApplication) => string;
  /** Connects more microservices to the app (started with the protocol's). */
  readonly microservices?: (app: NestFastifyApplication) => void;
}

export interface LaunchedApp {
  readonly app: NestFastifyApplication;
  readonly transport: SemicolonServer;
  readonly protocolPort: number;
  readonly adminPort: number;
}

/**
 * Starts a hybrid app: the Fastify admin API and the semicolon transport in one process, and
 * resolves once both listen.
 */
export async function launch(spec: LaunchSpec, logger: AppLogger): Promise<LaunchedApp> {
  const { listener } = spec;
  const app = await NestFactory.create<NestFastifyApplication>(spec.module, new FastifyAdapter(), {
    logger,
    // A failure while starting (say a damaged data file) reaches runMain's one clear line.
    abortOnError: false,
  });
  if (!serveAdminPage(app, spec.name)) {
    new Logger('AdminPage').warn({
      msg: 'the admin page is not built: GET / answers 404 (npm run build)',
    });
  }
  const transport = new SemicolonServer({
    host: listener.host,
    port: listener.port,
    maxConnections: listener.maxConnections,
    shutdownTimeoutMs: listener.shutdownTimeoutMs,
    socket: {
      maxMessageLength: listener.maxMessageLength,
      bareMessageDelayMs: listener.bareMessageDelayMs,
      partialMessageTimeoutMs: listener.partialMessageTimeoutMs,
      idleTimeoutMs: listener.idleTimeoutMs,
      maxPendingReplies: listener.maxPendingReplies,
    },
    observer: app.get(TransportMetrics),
    events: app.get<symbol, EventLog>(EVENT_LOG),
    slowRequestMs: listener.slowMs,
    // Handlers with no guard, interceptor, pipe or filter are called without Nest's pipeline.
    application: app,
  });
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  spec.microservices?.(app);
  await app.startAllMicroservices();
  await app.listen({ port: listener.adminPort, host: listener.host });
  logger.started = true;
  const adminPort = (app.getHttpServer().address() as AddressInfo).port;
  return { app, transport, protocolPort: transport.address().port, adminPort };
}

/**
 * Runs `start` as a process's main: prints the ready line (on stdout, the only thing there),
 * shuts down gracefully on SIGTERM or SIGINT (stop accepting, answer in-flight requests, flush,
 * exit 0), and exits 1 with one log line if starting fails (with the stack at `--log-level
 * debug`). Every other line is a log line on stderr.
 */
export function runMain(spec: LaunchSpec): void {
  const appLogger = installLogger(spec.name, spec.logging);
  const logger = new Logger('Lifecycle');
  // A reader of our output that went away (`| head -1`) must not take the app down with EPIPE.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let app: NestFastifyApplication | undefined;
  let stopping = false;
  let stopBegan = 0;
  const shutdown = (started: NestFastifyApplication): void => {
    started.close().then(
      () => {
        logger.log({ msg: 'shut down', ms: Math.round(performance.now() - stopBegan) });
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ msg: 'shutdown failed', err: error });
        process.exit(1);
      },
    );
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stopBegan = performance.now();
    logger.log({ msg: 'shutting down', signal });
    // A signal while starting: the shutdown follows once the start is done.
    if (app !== undefined) shutdown(app);
  };
  // Installed before the ready line can be printed: whoever reads it may signal at once, and a
  // signal without a handler would kill the app abruptly. `on`, not `once`: Ctrl-C under
  // `npm run` delivers SIGINT more than once (from the terminal and forwarded by the wrappers);
  // a second one must not take the default action either.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  launch(spec, appLogger).then(
    (launched) => {
      app = launched.app;
      if (stopping) return shutdown(launched.app);
      const protocol = hostPort(spec.listener.host, launched.protocolPort);
      const admin = `http://${hostPort(spec.listener.host, launched.adminPort)}`;
      logger.log({ msg: 'listening', protocol, admin });
      const details = spec.readyDetails ? ` ${spec.readyDetails(launched.app)}` : '';
      process.stdout.write(
        `semicache ${spec.name} ready protocol=${protocol} admin=${admin}${details}\n`,
      );
    },
    (error: unknown) => {
      // The reason is what a person acts on (a port in use, a damaged file); the stack is detail.
      const stack =
        error instanceof Error && Logger.isLevelEnabled('debug') ? { stack: error.stack } : {};
      logger.fatal({
        msg: 'failed to start',
        error: error instanceof Error ? error.message : String(error),
        ...stack,
      });
      process.exit(1);
    },
  );
}
