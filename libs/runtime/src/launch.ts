import { type DynamicModule, Logger, type LogLevel } from '@nestjs/common';
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
  readonly readyDetails?: () => string;
}

export interface LaunchedApp {
  readonly app: NestFastifyApplication;
  readonly transport: SemicolonServer;
  readonly protocolPort: number;
  readonly adminPort: number;
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn'];

/**
 * Starts a hybrid app: the Fastify admin API and the semicolon transport in one process. Prints
 * the ready line (with the ports really bound) once both listen.
 */
export async function launch(spec: LaunchSpec): Promise<LaunchedApp> {
  const { listener } = spec;
  const app = await NestFactory.create<NestFastifyApplication>(spec.module, new FastifyAdapter(), {
    logger: LOG_LEVELS,
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
  await app.startAllMicroservices();
  await app.listen({ port: listener.adminPort, host: listener.host });
  const adminPort = (app.getHttpServer().address() as AddressInfo).port;
  return { app, transport, protocolPort: transport.address().port, adminPort };
}

/** Formats an address for a URL or a HOST:PORT word (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Runs `start` as a process's main: prints the ready line, shuts down gracefully on SIGTERM or
 * SIGINT (stop accepting, answer in-flight requests, flush, exit 0), and exits 1 with a clear
 * message if starting fails.
 */
export function runMain(spec: LaunchSpec): void {
  const logger = new Logger(`semicache ${spec.name}`);
  // A reader of our output that went away (`| head -1`) must not take the app down with EPIPE.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  launch(spec).then(
    ({ app, protocolPort, adminPort }) => {
      const details = spec.readyDetails ? ` ${spec.readyDetails()}` : '';
      process.stdout.write(
        `semicache ${spec.name} ready protocol=${hostPort(spec.listener.host, protocolPort)} ` +
          `admin=http://${hostPort(spec.listener.host, adminPort)}${details}\n`,
      );
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        logger.warn(`${signal}: shutting down`);
        app.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error(`shutdown failed: ${String(error)}`);
            process.exit(1);
          },
        );
      };
      // `on`, not `once`: Ctrl-C under `npm run` delivers SIGINT twice (from the terminal and
      // forwarded by scripts/run.js); the second must not take the default, abrupt action.
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(
        `semicache ${spec.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
