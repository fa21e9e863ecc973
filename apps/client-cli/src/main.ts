#!/usr/bin/env node
import { buildProgram, runParse, type Output } from './program';
import { runPrompt } from './prompt';

const output: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

const { program, result, close } = buildProgram(output, (options, session) =>
  runPrompt(options, session, output),
);
runParse(program, process.argv.slice(2), output).then((status) => {
  close();
  process.exitCode = status === 0 ? result() : status;
});
