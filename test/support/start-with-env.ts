import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ENTRY } from './processes';

const running = new Set<ChildProcess>();

/**
 * Like `startApp`, but with extra environment variables for the child. (Inside a jest test,
 * `process.env` is a sandboxed copy that `spawn` does not see, so they must be passed
 * explicitly.) Resolves with the admin URL once the ready line is printed; `stopEnvApps` kills
 * what it started.
 */
export async function startAppWithEnv(
  name: 'server' | 'proxy',
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ readonly admin: string; readonly readyLine: string }> {
  const child = spawn(
    process.execPath,
    [ENTRY[name], '--port', '0', '--admin-port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith(`semicache ${name} ready `)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready; stderr:\n${stderr}`));
    });
  });
  return { admin: /admin=(\S+)/.exec(readyLine)![1], readyLine };
}

export async function stopEnvApps(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
