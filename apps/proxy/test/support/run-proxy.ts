import { spawn } from 'node:child_process';
import { ENTRY } from '../../../../test/support/processes';

export interface ProxyExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built proxy with `args` and resolves once it has exited by itself (`--help`, bad
 * flags). Ports are 0 so that, should it start after all, it takes nobody's port; it is then
 * killed after `timeoutMs` and `code` is null, which fails the caller's assertion.
 */
export function runProxyToExit(args: readonly string[], timeoutMs = 15_000): Promise<ProxyExit> {
  const child = spawn(
    process.execPath,
    [ENTRY.proxy, '--port', '0', '--admin-port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' rather than 'exit': stdout and stderr are fully read by then.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
