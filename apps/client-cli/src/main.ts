#!/usr/bin/env node
import { buildProgram, runParse, type Output } from './program';
import { runPrompt } from './prompt';
import { EXIT } from './session';

const output: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

const { program, result, close } = buildProgram(output, (options, session) =>
  runPrompt(options, session, output),
);
runParse(program, process.argv.slice(2), output)
  .then((status) => {
    close();
    process.exitCode = status === 0 ? result() : status;
  })
  .catch((error: unknown) => {
    // runParse reports every failure of a command; this is one of the CLI itself.
    output.err(`semicache: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.usage;
  });
