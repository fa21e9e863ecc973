import { Command } from 'commander';
import { createInterface } from 'node:readline';
import {
  COMMANDS,
  type GlobalOptions,
  STREAM_COMMANDS,
  type Output,
  addCommands,
  reportError,
  runParse,
  unknownCommand,
} from './program';
import { CliError, EXIT, type Session } from './session';

const QUIT = new Set(['quit', 'exit', '.exit']);

/** Splits a prompt line into words; `raw` keeps the rest of the line as typed. */
export function splitLine(line: string): string[] {
  const trimmed = line.trim();
  const raw = /^raw\s+(.+)$/.exec(trimmed);
  if (raw) return ['raw', raw[1]];
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/**
 * The interactive prompt: the one-shot commands, `help`, history (up/down), `quit`. Reads one
 * command a line from a pipe too; then the status is that of the last command that failed.
 */
export async function runPrompt(
  options: GlobalOptions,
  session: Session,
  output: Output,
): Promise<number> {
  const interactive = process.stdin.isTTY === true;
  const lines = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
    historySize: 1000,
    prompt: 'semicache> ',
  });
  if (interactive) {
    output.out(
      `semicache prompt, talking to ${session.target}. Type help for the commands, quit to leave.`,
    );
  }
  let status: number = EXIT.ok;
  lines.prompt();
  for await (const line of lines) {
    const words = splitLine(line);
    if (words.length > 0 && QUIT.has(words[0])) break;
    if (words.length > 0) {
      const program = new Command('semicache')
        .usage('<command> [arguments]')
        .exitOverride()
        .configureOutput({
          writeOut: (text) => output.out(text.trimEnd()),
          writeErr: (text) => output.err(text.trimEnd()),
        });
      addCommands(
        program,
        () => options,
        () => session,
        output,
      );
      const known = (COMMANDS as readonly string[]).includes(words[0]);
      let code: number;
      if (STREAM_COMMANDS.includes(words[0])) {
        const alone = `'${words[0]}' follows events until Ctrl-C: run it as a command of its own (semicache ${words[0]} ...)`;
        code = reportError(new CliError(alone, EXIT.usage), output);
      } else if (known) code = await runParse(program, words, output);
      else code = reportError(unknownCommand(words[0]), output);
      if (code !== EXIT.ok) status = code;
    }
    lines.prompt();
  }
  lines.close();
  session.close();
  return status;
}
