import { ConsoleLogger, type DynamicModule, Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SemicolonServer } from '@semicache/transport';
import type { AddressInfo } from 'node:net';
import type { ListenerConfig } from './options';
import { TransportMetrics } from './transport-metrics';

export interface LaunchSpec {
  readonly name: 'server' | 'proxy';
  readonly module: DynamicModule;
  readonly listener: ListenerConfig;
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

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn'];

/**
 * Nest's console logger, silent about errors until the app has started: Nest logs a failure
 * while starting (with its stack) and then throws it, and runMain reports it once, in one line.
 */
class AppLogger extends ConsoleLogger {
  started = false;

  override error(message: unknown, ...rest: unknown[]): void {
    if (this.started) super.error(message, ...rest);
  }
}

/**
 * Starts a hybrid app: the Fastify admin API and the semicolon transport in one process, and
 * resolves once both listen.
 */
export async function launch(spec: LaunchSpec): Promise<LaunchedApp> {
  const { listener } = spec;
  const logger = new AppLogger({ logLevels: LOG_LEVELS });
  const app = await NestFactory.create<NestFastifyApplication>(spec.module, new FastifyAdapter(), {
    logger,
    // A failure while starting (say a damaged data file) reaches runMain's one clear line.
    abortOnError: false,
  });
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
  });
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  spec.microservices?.(app);
  await app.startAllMicroservices();
  await app.listen({ port: listener.adminPort, host: listener.host });
  logger.started = true;
  const adminPort = (app.getHttpServer().address() as AddressInfo).port;
  return { app, transport, protocolPort: transport.address().port, adminPort };
}

/** Formats an address for a URL or a HOST:PORT word (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Runs `start` as a process's main: prints the ready line, shuts down gracefully on SIGTERM or
 * SIGINT (stop accepting, answer in-flight requests, flush, exit 0), and exits 1 with one clear
 * line if starting fails (and its stack trace with SEMICACHE_DEBUG=1).
 */
export function runMain(spec: LaunchSpec): void {
  const logger = new Logger(`semicache ${spec.name}`);
  // A reader of our output that went away (`| head -1`) must not take the app down with EPIPE.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let app: NestFastifyApplication | undefined;
  let stopping = false;
  const shutdown = (started: NestFastifyApplication): void => {
    started.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.warn(`${signal}: shutting down`);
    // A signal while starting: the shutdown follows once the start is done.
    if (app !== undefined) shutdown(app);
  };
  // Installed before the ready line can be printed: whoever reads it may signal at once, and a
  // signal without a handler would kill the app abruptly. `on`, not `once`: Ctrl-C under
  // `npm run` delivers SIGINT more than once (from the terminal and forwarded by the wrappers);
  // a second one must not take the default action either.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  launch(spec).then(
    (launched) => {
      app = launched.app;
      if (stopping) return shutdown(launched.app);
      const details = spec.readyDetails ? ` ${spec.readyDetails(launched.app)}` : '';
      process.stdout.write(
        `semicache ${spec.name} ready protocol=${hostPort(spec.listener.host, launched.protocolPort)} ` +
          `admin=http://${hostPort(spec.listener.host, launched.adminPort)}${details}\n`,
      );
    },
    (error: unknown) => {
      const debug = ['1', 'true'].includes(process.env.SEMICACHE_DEBUG ?? '');
      process.stderr.write(
        `semicache ${spec.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n` +
          (debug && error instanceof Error && error.stack ? `${error.stack}\n` : ''),
      );
      process.exit(1);
    },
  );
}
