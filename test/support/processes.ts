import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bin } from '../../package.json';

export const ROOT = join(__dirname, '..', '..');
/** The built entry points, from the package's `bin` (the one place they are written). */
export const ENTRY = {
  server: join(ROOT, bin['semicache-server']),
  proxy: join(ROOT, bin['semicache-proxy']),
  cli: join(ROOT, bin.semicache),
} as const;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** A real server or proxy process started on free ports. */
export interface RunningApp {
  readonly name: 'server' | 'proxy';
  readonly child: ChildProcess;
  readonly protocol: Endpoint;
  readonly admin: string;
  readonly readyLine: string;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /**
   * Sends a signal and resolves with the exit code (null if killed by a signal) once the process
   * has exited and all it wrote to stderr has been read.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Makes `stopAll` kill `child` too (a helper process such as redis-server). */
export function trackProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function assertBuilt(entry: string): void {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts `dist` app `name` with `args` (and extra environment variables) and waits for its ready
 * line. Ports default to 0 (any free port); the ready line tells which were bound. Rejects with the process's stderr if it
 * exits first or is not ready within `timeoutMs`.
 */
export async function startApp(
  name: 'server' | 'proxy',
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number } = {},
): Promise<RunningApp> {
  const entry = ENTRY[name];
  const timeoutMs = options.timeoutMs ?? 20_000;
  assertBuilt(entry);
  // Inside a jest test `process.env` is a sandboxed copy that spawn does not see by itself.
  const child = spawn(process.execPath, [entry, '--port', '0', '--admin-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  trackProcess(child);
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  let stdout = '';
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => (stdout += `${line}\n`));
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    lines.on('line', (line) => {
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
  const protocol = /protocol=(\S+):(\d+)/.exec(readyLine)!;
  const admin = /admin=(\S+)/.exec(readyLine)![1];
  return {
    name,
    child,
    protocol: { host: protocol[1], port: Number(protocol[2]) },
    admin,
    readyLine,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return closed;
    },
  };
}

/**
 * Environment for `startApp` that preloads test/support/fs-probe.js into the app: it records in
 * file `log` the paths the app fsyncs (`sync PATH`), and makes some of its fs/promises calls wait
 * (`slow`; `wait CALL` when one starts waiting). Timing and observation only: the app does
 * exactly what it would do without it.
 */
export function fsProbe(probe: {
  readonly log?: string;
  readonly slow?: { readonly calls: readonly string[]; readonly ms: number };
}): Record<string, string> {
  const preload = `--require "${join(__dirname, 'fs-probe.js')}"`;
  return {
    NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' '),
    ...(probe.log === undefined ? {} : { SEMICACHE_PROBE_LOG: probe.log }),
    ...(probe.slow === undefined
      ? {}
      : {
          SEMICACHE_PROBE_SLOW_CALLS: probe.slow.calls.join(','),
          SEMICACHE_PROBE_SLOW_MS: String(probe.slow.ms),
        }),
  };
}

/** Kills every process this test file started and is still running (for afterEach/afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const done = exited(child);
      child.kill('SIGKILL');
      return done;
    }),
  );
}

/** Polls `check` until it returns a value other than undefined (no fixed sleeps). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A real server and a real proxy in front of it, both on ports the OS picked. */
export interface Stack {
  readonly server: RunningApp;
  readonly proxy: RunningApp;
}

export interface StackOptions {
  readonly serverArgs?: readonly string[];
  readonly proxyArgs?: readonly string[];
}

export function upstreamOf(server: RunningApp): string {
  return `${server.protocol.host}:${server.protocol.port}`;
}

/** Starts `server --in-memory` (plus `serverArgs`), then a proxy whose upstream is that server. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const server = await startApp('server', ['--in-memory', ...(options.serverArgs ?? [])]);
  const proxy = await startApp('proxy', [
    '--upstream',
    upstreamOf(server),
    ...(options.proxyArgs ?? []),
  ]);
  return { server, proxy };
}
