import { EventStreamRefused, type DecisionEvent, followEvents } from '@semicache/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { GlobalOptions, Output } from '../program';
import { CliError, EXIT } from '../session';
import { COLOURED, PLAIN, eventLine } from './event-line';

/** The options `watch` and `trace record` share: which app, which events, how many. */
interface StreamFlags {
  server: boolean;
  index?: string;
  kind?: string;
  op?: string;
  count?: number;
}

function positive(name: string, integer: boolean) {
  return (value: string): number => {
    const number = Number(value);
    if (!(number > 0) || !Number.isFinite(number) || (integer && !Number.isInteger(number))) {
      throw new InvalidArgumentError(`${name} must be a positive ${integer ? 'whole ' : ''}number`);
    }
    return number;
  };
}

function streamOptions(command: Command): Command {
  return command
    .option('--server', "the server's events (--server-admin) instead of the proxy's", false)
    .option('--index <list>', 'only events about these indices, e.g. 1,7')
    .option('--kind <list>', 'only events with these decisions, e.g. miss,evicted')
    .option('--op <list>', 'only these OPs, e.g. PUT')
    .addOption(
      new Option('--count <n>', 'stop after this many events').argParser(positive('--count', true)),
    );
}

/** The `/events` URL of the app the flags name, with their filters. */
export function eventsUrl(options: GlobalOptions, flags: StreamFlags): string {
  const admin = flags.server ? options.serverAdmin : options.proxyAdmin;
  const url = new URL(`${admin.replace(/\/+$/, '')}/events`);
  for (const name of ['index', 'kind', 'op'] as const) {
    const value = flags[name];
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

/**
 * Follows the events the flags select and hands each one's JSON to `take` (and `flush` after
 * each chunk read, so that output is written a chunk at a time, not an event at a time), until
 * Ctrl-C (or SIGTERM), `--count` events or `durationMs`; tells on stderr when it follows, loses
 * and regains the stream, and when events were dropped. Resolves with the number of events.
 */
async function follow(
  options: GlobalOptions,
  flags: StreamFlags,
  output: Output,
  take: (json: string) => void,
  flush: () => void,
  durationMs?: number,
): Promise<number> {
  const url = eventsUrl(options, flags);
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const timer = durationMs === undefined ? undefined : setTimeout(abort, durationMs);
  let taken = 0;
  let away = false;
  try {
    await followEvents(
      url,
      {
        connected: (notice) => {
          output.err(
            away
              ? `back on ${notice.app} events at ${url}`
              : `following ${notice.app} events at ${url} (Ctrl-C to stop)`,
          );
          away = false;
        },
        event: (json) => {
          take(json);
          taken++;
          return flags.count === undefined || taken < flags.count;
        },
        flush,
        dropped: (notice) =>
          output.err(
            `${notice.count} event(s) dropped (#${notice.firstSeq} to #${notice.lastSeq}): this reader was too slow`,
          ),
        disconnected: (reason) => {
          if (!away) output.err(`lost ${url} (${reason}); reconnecting until it is back`);
          away = true;
        },
      },
      { signal: stop.signal },
    );
  } catch (error) {
    if (error instanceof EventStreamRefused) {
      throw new CliError(error.message, error.status === 400 ? EXIT.usage : EXIT.connection);
    }
    throw error;
  } finally {
    flush();
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    clearTimeout(timer);
  }
  return taken;
}

/** `semicache watch` and `semicache trace record`: the decision events, live. */
export function addEventCommands(
  program: Command,
  options: () => GlobalOptions,
  output: Output,
): void {
  streamOptions(
    program
      .command('watch')
      .description(
        "print the proxy's decisions as they happen, one line per request (--json: the events as NDJSON)",
      ),
  ).action(async (flags: StreamFlags) => {
    const global = options();
    const paint = process.stdout.isTTY && process.env.NO_COLOR === undefined ? COLOURED : PLAIN;
    let lines: string[] = [];
    await follow(
      global,
      flags,
      output,
      (json) =>
        lines.push(global.json ? json : eventLine(JSON.parse(json) as DecisionEvent, paint)),
      () => {
        if (lines.length > 0) output.out(lines.join('\n'));
        lines = [];
      },
    );
  });

  const trace = program.command('trace').description('record the decision events to a file');
  streamOptions(
    trace
      .command('record')
      .description('write the events as NDJSON to FILE until Ctrl-C, --duration or --count')
      .argument('<file>')
      .addOption(
        new Option('--duration <seconds>', 'stop after this long').argParser(
          positive('--duration', false),
        ),
      ),
  ).action(async (file: string, flags: StreamFlags & { duration?: number }) => {
    let fd: number;
    try {
      fd = openSync(file, 'w');
    } catch (error) {
      throw new CliError(`cannot write ${file}: ${(error as Error).message}`, EXIT.usage);
    }
    let recorded: number;
    let text = '';
    try {
      recorded = await follow(
        options(),
        flags,
        output,
        (json) => (text += `${json}\n`),
        () => {
          if (text.length > 0) writeSync(fd, text);
          text = '';
        },
        flags.duration === undefined ? undefined : flags.duration * 1000,
      );
    } finally {
      closeSync(fd);
    }
    output.err(`recorded ${recorded} event(s) to ${file}`);
  });
}
