import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import {
  ENTRY,
  type RunningApp,
  type Stack,
  startStack,
  stopAll,
} from '../../../../test/support/processes';
import { closeAllConnections } from '../../../../test/support/line-client';

/** How a CLI run ended. */
export interface CliRun {
  /** Exit status, or null if it was killed (it did not exit by itself in time). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time from spawn to exit, in ms. */
  readonly elapsedMs: number;
}

const children = new Set<ChildProcess>();

/** The environment without SEMICACHE_* variables, so a developer's settings cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SEMICACHE_')),
  );
}

/** A CLI process that may still be running (watch, trace record): its output so far, its end. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once it has exited and its output is fully read (code null: it was killed). */
  readonly done: Promise<CliRun>;
}

/**
 * Starts the built CLI (`node dist/.../client-cli/.../main.js ARGS`) with `input` written to its
 * stdin (a pipe, then closed). A run still going after `killAfterMs` is killed, so a caller
 * waiting on `done` sees code null instead of the test hanging.
 */
export function spawnCli(
  args: readonly string[],
  options: {
    input?: string;
    killAfterMs?: number;
    entry?: string;
    /** Variables set for this run (on top of the cleaned environment). */
    env?: Record<string, string>;
  } = {},
): CliProcess {
  const entry = options.entry ?? ENTRY.cli;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  const started = Date.now();
  const child = spawn(process.execPath, [entry, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...cleanEnv(), ...options.env },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.on('error', () => undefined); // the CLI may exit before reading its stdin
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 15_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    // 'close', not 'exit': stdout and stderr are fully read by then.
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs the built CLI to its end (see `spawnCli`). */
export function runCli(
  args: readonly string[],
  options: Parameters<typeof spawnCli>[1] = {},
): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/**
 * For a test file: a real server and proxy (the defaults, in memory) started before its tests and
 * stopped after them, and every CLI run and test connection closed after each test. The stack is
 * filled in once started, so read it inside the tests.
 */
export function useStack(): Readonly<Stack> {
  const stack = {} as { server: RunningApp; proxy: RunningApp };
  beforeAll(async () => Object.assign(stack, await startStack()));
  afterEach(async () => {
    closeAllConnections();
    await killAllCli();
  });
  afterAll(() => stopAll());
  return stack;
}

/** Kills every CLI process still running (for afterEach, also when a test failed). */
export async function killAllCli(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The CLI flags that point it at a running proxy (or server) and at both admin APIs. */
export function target(
  app: RunningApp,
  admins?: { server: RunningApp; proxy: RunningApp },
): string[] {
  const flags = ['--host', app.protocol.host, '--port', String(app.protocol.port)];
  if (admins)
    flags.push('--server-admin', admins.server.admin, '--proxy-admin', admins.proxy.admin);
  return flags;
}

/** The lines of an output, without the final line feed. */
export function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

/** A whitespace-separated table as rows of cells (header row first). */
export function cells(text: string): string[][] {
  return lines(text).map((line) => line.trim().split(/\s+/));
}

/** A TCP server that accepts connections, records what it receives, and never answers. */
export interface SilentServer {
  readonly port: number;
  /** Everything received so far, on every connection. */
  received(): string;
  close(): Promise<void>;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let received = '';
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (received += text));
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
