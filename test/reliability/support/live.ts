/**
 * Helpers for the live reliability tests: talking to a real server or proxy over TCP with raw
 * bytes, checking every reply with the oracle, and checking afterwards that the process is up
 * and serves a fresh client correctly.
 */
import { DEFAULT_MAX_MESSAGE_LENGTH } from '@semicache/protocol';
import { RawClient } from '../../support/raw-client';
import type { RunningApp } from '../../support/processes';
import { scrape, sampleValue } from '../../support/metrics';
import { framesOf, judgeReply, type ModelFrame } from './fuzz';

export const MAX_LENGTH = DEFAULT_MAX_MESSAGE_LENGTH;
/** The table size of the fuzzed servers (the default). */
export const TABLE_SIZE = 10;

const SENTINEL = 'OP=GET;IND=0;';
const SENTINEL_REPLY = /^OP=GET;IND=0;DATA=-?\d+;$/;

export interface Exchange {
  readonly frames: number;
  readonly problems: string[];
  /** Error codes replied, with how many times. */
  readonly codes: Map<string, number>;
}

/** Runs `work` on every item, at most `limit` at a time; resolves when all are done. */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function tally(codes: Map<string, number>, reply: string): void {
  const code = /^OP=ERR;CODE=([A-Z_]+);/.exec(reply)?.[1];
  if (code !== undefined) codes.set(code, (codes.get(code) ?? 0) + 1);
}

/**
 * Checks `replies` against `frames` with the oracle, then that the connection is still in step:
 * a sentinel GET gets its own reply next (so there was exactly one reply per frame).
 */
export async function judgeAndSentinel(
  client: RawClient,
  frames: readonly ModelFrame[],
  replies: readonly string[],
  what: string,
  codes: Map<string, number>,
): Promise<string[]> {
  const problems: string[] = [];
  frames.forEach((frame, i) => {
    tally(codes, replies[i]);
    const problem = judgeReply(frame, replies[i], TABLE_SIZE);
    if (problem !== undefined) problems.push(`${what}, frame ${i}: ${problem}`);
  });
  const sentinel = await client.request(SENTINEL);
  if (!SENTINEL_REPLY.test(sentinel)) {
    problems.push(`${what}: after ${frames.length} replies, the sentinel GET got ${sentinel}`);
  }
  return problems;
}

/**
 * Sends `stream` (which must end with a line feed) in one write on a fresh connection, reads one
 * reply per frame the framing model finds in it, judges each, then checks the sentinel.
 */
export async function exchange(
  target: RunningApp,
  stream: Buffer,
  what: string,
  codes: Map<string, number>,
): Promise<Exchange> {
  const frames = framesOf(stream, MAX_LENGTH);
  const client = await RawClient.open(target.protocol);
  client.write(stream);
  const replies = await client.readLines(frames.length, 30_000);
  const problems = await judgeAndSentinel(client, frames, replies, what, codes);
  client.close();
  return { frames: frames.length, problems, codes };
}

/** True while the child process has neither exited nor been killed. */
export function isUp(app: RunningApp): boolean {
  return app.child.exitCode === null && app.child.signalCode === null;
}

let freshValue = 0;

/**
 * The process is up and a fresh client is served correctly: a PUT of a new value, then a GET
 * of it on a new connection, both answered exactly.
 */
export async function expectServesFreshClient(app: RunningApp): Promise<void> {
  expect({ app: app.name, up: isUp(app) }).toEqual({ app: app.name, up: true });
  const value = -(++freshValue * 1000 + process.pid);
  const writer = await RawClient.open(app.protocol);
  expect(await writer.request(`OP=PUT;IND=7;DATA=${value};`)).toBe(`OP=PUT;IND=7;DATA=${value};`);
  writer.close();
  const reader = await RawClient.open(app.protocol);
  expect(await reader.request('OP=GET;IND=7,7;')).toBe(`OP=GET;IND=7,7;DATA=${value},${value};`);
  reader.close();
}

/** Whatever a test sent: both apps are up, serve a fresh client correctly and replied no INTERNAL. */
export async function expectBothStillServing(server: RunningApp, proxy: RunningApp): Promise<void> {
  await expectServesFreshClient(server);
  await expectServesFreshClient(proxy);
  expect({ server: await internalErrors(server), proxy: await internalErrors(proxy) }).toEqual({
    server: 0,
    proxy: 0,
  });
}

/** The app's resident memory now, from its own /metrics (prom-client's process metrics). */
export async function residentBytes(app: RunningApp): Promise<number> {
  const value = sampleValue((await scrape(app.admin)).samples, 'process_resident_memory_bytes');
  if (value === undefined)
    throw new Error(`${app.name} /metrics has no process_resident_memory_bytes`);
  return value;
}

/** How many INTERNAL errors the app replied (a bug or a failed disk write). */
export async function internalErrors(app: RunningApp): Promise<number> {
  const samples = (await scrape(app.admin)).samples;
  return sampleValue(samples, 'semicache_protocol_errors_total', { code: 'INTERNAL' }) ?? 0;
}

/** The app's V8 heap in use now (live objects and not yet collected garbage), from /metrics. */
export async function heapUsedBytes(app: RunningApp): Promise<number> {
  const value = sampleValue((await scrape(app.admin)).samples, 'nodejs_heap_size_used_bytes');
  if (value === undefined)
    throw new Error(`${app.name} /metrics has no nodejs_heap_size_used_bytes`);
  return value;
}
