import { spawn } from 'node:child_process';
import { ENTRY } from './processes';

export interface Exited {
  /** Exit code, or null if the process was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a built app that is expected to exit by itself (`--help`, a bad flag, a data directory it
 * must refuse) and resolves once it has exited and its output is fully read. The process is
 * killed if it is still running after `timeoutMs`, or as soon as it prints its ready line (it
 * started when it should not have): then `signal` is SIGKILL and the caller's assertion on
 * `code` fails at once. No default ports are added: pass `--port 0 --admin-port 0` if the app
 * might start after all.
 */
export function runToExit(
  name: keyof typeof ENTRY,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Exited> {
  const child = spawn(process.execPath, [ENTRY[name], ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    if (/^semicache \S+ ready /m.test(stdout)) child.kill('SIGKILL');
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  // 'close' (not 'exit'): fires once stdout and stderr are drained too.
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
