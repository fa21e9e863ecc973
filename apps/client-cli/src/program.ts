import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { closest } from 'fastest-levenshtein';
import { FRAMINGS, type Framing } from '@semicache/client';
import { type Reply, type Request, parseReply, serializeRequest } from '@semicache/protocol';
import { addBenchCommand } from './bench/bench.command';
import { addEventCommands } from './events/events.command';
import { replyJson, replyText } from './format';
import { readView, renderView } from './inspect';
import { addConfigCommand } from './policies/config.command';
import { addPolicyCommands } from './policies/policies.command';
import { addRequest, clrRequest, getRequest, putRequest } from './requests';
import { CliError, EXIT, Session, ShownFailure } from './session';

export interface GlobalOptions {
  host: string;
  port: number;
  timeout: number;
  framing: Framing;
  json: boolean;
  serverAdmin: string;
  proxyAdmin: string;
}

/** Where a command writes: the process's streams, or a prompt's. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const COMMANDS = [
  'get',
  'put',
  'add',
  'clr',
  'raw',
  'inspect',
  'bench',
  'policies',
  'simulate',
  'config',
  'watch',
  'trace',
  'help',
] as const;

/** Commands that follow events until Ctrl-C: run on their own, not at the prompt. */
export const STREAM_COMMANDS: readonly string[] = ['watch', 'trace'];

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** "unknown command 'gte' (did you mean 'get'?)" */
export function unknownCommand(word: string): CliError {
  return new CliError(
    `unknown command '${word}' (did you mean '${closest(word, [...COMMANDS])}'?); try 'help'`,
    EXIT.usage,
  );
}

async function request(session: Session, options: GlobalOptions, output: Output, req: Request) {
  const text = await session.send(serializeRequest(req));
  let reply: Reply;
  try {
    reply = parseReply(text);
  } catch {
    throw new CliError(`invalid reply from ${session.target}: ${text}`, EXIT.errorReply);
  }
  if (options.json) output.out(JSON.stringify(replyJson(reply)));
  else if (reply.op !== 'ERR') output.out(replyText(reply));
  if (reply.op === 'ERR') throw new CliError(`${reply.code}: ${reply.message}`, EXIT.errorReply);
}

/** The commands, shared by one-shot use and every line of the prompt. */
export function addCommands(
  program: Command,
  options: () => GlobalOptions,
  session: () => Session,
  output: Output,
): Command {
  const send = (req: Request) => request(session(), options(), output, req);
  program
    .command('get')
    .description('read entries: get 1 2 3')
    .argument('<index...>')
    .action((indices: string[]) => send(getRequest(indices)));
  program
    .command('put')
    .description('write entries: put 1=10 2=20')
    .argument('<index=value...>')
    .action((pairs: string[]) => send(putRequest(pairs)));
  program
    .command('add')
    .description('sum entries (at most 5): add 1 2')
    .argument('<index...>')
    .action((indices: string[]) => send(addRequest(indices)));
  program
    .command('clr')
    .description('clear the whole table (and the cache)')
    .action(() => send(clrRequest()));
  program
    .command('raw')
    .description("send a message as typed and print the reply as is: raw 'OP=GET;IND=1;'")
    .argument('<message...>')
    .action(async (words: string[]) => {
      const reply = await session().send(words.join(' '));
      output.out(reply);
      if (reply.startsWith('OP=ERR;')) throw new ShownFailure(EXIT.errorReply);
    });
  program
    .command('inspect')
    .description("show the server's table beside the proxy's cache and its hit figures")
    .action(async () => {
      const { serverAdmin, proxyAdmin, timeout, json } = options();
      const view = await readView(serverAdmin, proxyAdmin, timeout);
      output.out(json ? JSON.stringify(view) : renderView(view));
    });
  addBenchCommand(program, options, output);
  addPolicyCommands(program, options, output);
  addConfigCommand(program, options, output);
  return program;
}

/** The whole command line: global options, the commands, and the prompt when no command is given. */
export function buildProgram(
  output: Output,
  startPrompt: (options: GlobalOptions, session: Session) => Promise<number>,
): { program: Command; result: () => number; close: () => void } {
  const program = new Command('semicache')
    .description('Command-line client of semicache: one command, or a prompt when none is given.')
    .addOption(
      new Option('--host <host>', 'proxy (or server) host')
        .env('SEMICACHE_HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option('--port <port>', 'proxy (or server) port')
        .env('SEMICACHE_PORT')
        .default(6001)
        .argParser(integer('--port', 1, 65535)),
    )
    .addOption(
      new Option('--timeout <ms>', 'give up on a reply after this')
        .env('SEMICACHE_TIMEOUT')
        .default(5000)
        .argParser(integer('--timeout', 1, 3_600_000)),
    )
    .addOption(
      new Option(
        '--framing <framing>',
        'line (pipelined, ended by a line feed), bare (one request at a time, no terminator) or auto (line if the first reply comes back as a line, else bare)',
      )
        .env('SEMICACHE_FRAMING')
        .choices(FRAMINGS)
        .default('auto'),
    )
    .option('--json', 'print replies as JSON, for scripts', false)
    .addOption(
      new Option('--server-admin <url>', "server's admin API (for inspect, and watch --server)")
        .env('SEMICACHE_SERVER_ADMIN')
        .default('http://127.0.0.1:9002'),
    )
    .addOption(
      new Option(
        '--proxy-admin <url>',
        "proxy's admin API (for inspect, policies, config, watch, trace, and bench's hit ratio)",
      )
        .env('SEMICACHE_PROXY_ADMIN')
        .default('http://127.0.0.1:9001'),
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
    });
  let session: Session | undefined;
  let status: number = EXIT.ok;
  const options = () => program.opts<GlobalOptions>();
  const currentSession = () =>
    (session ??= new Session(options().host, options().port, options().timeout, options().framing));
  addCommands(program, options, currentSession, output);
  addEventCommands(program, options, output);
  program
    .command('shell', { isDefault: true, hidden: true })
    .argument('[words...]')
    .action(async (words: string[]) => {
      if (words.length > 0) throw unknownCommand(words[0]);
      status = await startPrompt(options(), currentSession());
    });
  return { program, result: () => status, close: () => session?.close() };
}

/** Runs a commander parse and turns every failure into an exit status and one stderr line. */
export async function runParse(
  program: Command,
  words: readonly string[],
  output: Output,
): Promise<number> {
  try {
    await program.parseAsync(words, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message; help and version are not failures.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) return reportError(error, output);
    output.err(`semicache: ${(error as Error).message}`);
    return EXIT.usage;
  }
}

/** Prints a failure as one stderr line (unless the output showed it already) and returns its exit status. */
export function reportError(error: CliError, output: Output): number {
  if (!(error instanceof ShownFailure)) output.err(`semicache: ${error.message}`);
  return error.exitCode;
}
