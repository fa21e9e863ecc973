import { Logger, type LoggerService, type LogLevel as NestLogLevel } from '@nestjs/common';
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import { z } from 'zod';
import type { OptionSpec } from './options';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const loggingSchema = z.object({
  logLevel: z.enum(LOG_LEVELS),
  /** Unset: pretty when stderr is a terminal, else json. */
  logFormat: z.enum(LOG_FORMATS).optional(),
});
export type LoggingConfig = z.infer<typeof loggingSchema>;

/** `--log-level` and `--log-format`; `prefix` names the environment variables (SEMICACHE_SERVER_...). */
export function loggingOptions(prefix: string): OptionSpec[] {
  return [
    {
      flags: '--log-level <level>',
      description: 'least severe log lines written (to stderr): debug, info, warn or error',
      env: `${prefix}_LOG_LEVEL`,
      default: 'info',
    },
    {
      flags: '--log-format <format>',
      description:
        'json (one object per line) or pretty (one line for a person); default: pretty when stderr is a terminal, else json',
      env: `${prefix}_LOG_FORMAT`,
    },
  ];
}

/**
 * A structured log line through Nest's `Logger`: a short `msg` and context fields, e.g.
 * `logger.warn({ msg: 'upstream lost', upstream: '127.0.0.1:6002', reason: 'refused' })`.
 * Use `err` for an Error (logged with its stack), plain values elsewhere.
 */
export interface LogFields {
  readonly msg: string;
  readonly [field: string]: unknown;
}

type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

/** Nest's levels enabled at each of ours, so that `Logger.isLevelEnabled('debug')` answers right. */
const NEST_LEVELS: Record<LoggingConfig['logLevel'], NestLogLevel[]> = {
  debug: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

/** Nest's own start-up chatter (modules loaded, routes mapped, started): detail, not news. */
const NEST_CHATTER = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'NestMicroservice',
]);

/** Fields every line has, which the pretty format shows in its own way. */
const FRAMED_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'app', 'context', 'msg']);

/** `key=value`, quoted where a value has spaces; an error's stack on the lines below. */
function prettyLine(log: Record<string, unknown>): string {
  const context = typeof log.context === 'string' ? `/${log.context}` : '';
  const msg = typeof log.msg === 'string' ? log.msg : '';
  let line = `${String(log.app)}${context}: ${msg}`;
  let below = '';
  for (const [key, value] of Object.entries(log)) {
    if (FRAMED_FIELDS.has(key)) continue;
    if (key === 'stack' && typeof value === 'string') {
      below += `\n${value}`;
      continue;
    }
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const { message, stack } = value as { message?: unknown; stack?: unknown };
      below += `\n${String(stack ?? message)}`;
      continue;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    line += ` ${key}=${/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text}`;
  }
  return line + below;
}

/**
 * Where the lines go: stderr, written synchronously (no worker thread, no buffer), so that a
 * line logged just before `process.exit` is never lost; stdout is left to the ready line.
 */
function destination(format: LogFormat): pino.DestinationStream {
  if (format === 'json') return pino.destination({ fd: 2, sync: true });
  return pinoPretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    hideObject: true,
    messageFormat: (log) => prettyLine(log),
  });
}

/**
 * The apps' Nest logger: pino behind Nest's `LoggerService`, so that Nest's own lines, the
 * `Logger` instances of our classes and runMain's all become one JSON object per line on stderr
 * (or one readable line in the pretty format). A message may be a string or `LogFields`.
 */
export class AppLogger implements LoggerService {
  /**
   * Until the app has started, an error Nest logs is the one that fails the start, which runMain
   * then reports in one line: Nest's own report of it (with the stack) is detail.
   */
  started = false;

  constructor(readonly pino: pino.Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    this.write(NEST_CHATTER.has(context ?? '') ? 'debug' : 'info', message, context);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, contextOf(params));
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, contextOf(params));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, contextOf(params));
  }

  /** Nest calls it `(message, stack?, context?)`; a lone second argument is either. */
  error(message: unknown, ...params: unknown[]): void {
    const contextOnly = params.length === 1 && !isStack(params[0]);
    const stack = contextOnly ? undefined : params[0];
    const context = contextOnly || params.length >= 2 ? contextOf(params) : undefined;
    this.write(
      this.started ? 'error' : 'debug',
      message,
      context,
      typeof stack === 'string' ? stack : undefined,
    );
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, contextOf(params));
  }

  private write(level: PinoLevel, message: unknown, context?: string, stack?: string): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    let text: string;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...rest } = message as Partial<LogFields>;
      Object.assign(fields, rest);
      text = String(msg ?? '');
    } else {
      text = String(message);
    }
    if (stack !== undefined) fields.stack = stack;
    this.pino[level](fields, text);
  }
}

function contextOf(params: readonly unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' ? last : undefined;
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && /\n\s+at /.test(value);
}

/** The lines' shape: level by name, ISO time, the app's name and pid on every line. */
export function appPino(
  app: 'server' | 'proxy',
  level: LoggingConfig['logLevel'],
  stream: pino.DestinationStream,
): pino.Logger {
  return pino(
    {
      level,
      base: { app, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/**
 * Makes the app's logger Nest's logger for the whole process: every `new Logger(Context)` logs
 * through it from now on, and `Logger.isLevelEnabled(level)` answers for `--log-level`.
 */
export function installLogger(app: 'server' | 'proxy', config: LoggingConfig): AppLogger {
  const format = config.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const logger = new AppLogger(appPino(app, config.logLevel, destination(format)));
  Logger.overrideLogger(logger);
  Logger.overrideLogger(NEST_LEVELS[config.logLevel]);
  return logger;
}
