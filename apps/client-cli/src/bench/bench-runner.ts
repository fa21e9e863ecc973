import { type Framing, ProtocolConnection, seededRandom } from '@semicache/client';
import { createHistogram } from 'node:perf_hooks';
import { type Distribution, type Mix, keyPicker, messageMaker } from './workload';

export interface BenchOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly pipeline: number;
  /** Stop after this many seconds, or after `requests` requests, whichever comes first. */
  readonly durationSeconds: number;
  readonly requests: number | undefined;
  readonly mix: Mix;
  readonly keys: number;
  readonly distribution: Distribution;
  readonly skew: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly framing: Framing;
  /** Told of every request as its reply arrives (in the order replies arrive). */
  readonly onReply?: (message: string, reply: string) => void;
}

export interface BenchResult {
  readonly requests: number;
  readonly errors: number;
  /** The error replies by code, e.g. `{ BAD_INDEX: 12 }`. */
  readonly errorCodes: Record<string, number>;
  readonly seconds: number;
  readonly throughput: number;
  /** Latency percentiles in milliseconds. */
  readonly latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
}

export interface Progress {
  readonly elapsedSeconds: number;
  readonly requests: number;
  readonly errors: number;
}

/**
 * Drives `connections` connections, each keeping `pipeline` requests in flight, until the
 * duration or the request budget runs out. The window slides: as soon as replies arrive, as many
 * new requests are written (in one write). Latency is per request, from its write to its reply.
 */
export async function runBench(
  options: BenchOptions,
  onProgress?: (progress: Progress) => void,
): Promise<BenchResult> {
  const histogram = createHistogram();
  const opened = await Promise.allSettled(
    Array.from({ length: options.connections }, () =>
      ProtocolConnection.open(options.host, options.port, options.timeoutMs, {
        framing: options.framing,
      }),
    ),
  );
  const connections = opened.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = opened.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    // Close what did open, or those sockets keep the process alive.
    for (const connection of connections) connection.close();
    throw failed.reason;
  }
  let sent = 0;
  let completed = 0;
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  const started = process.hrtime.bigint();
  const deadline = Date.now() + options.durationSeconds * 1000;
  const budget = options.requests ?? Number.POSITIVE_INFINITY;
  const progressTimer = onProgress
    ? setInterval(
        () =>
          onProgress({
            elapsedSeconds: Number(process.hrtime.bigint() - started) / 1e9,
            requests: completed,
            errors,
          }),
        1000,
      )
    : undefined;

  const worker = (connection: ProtocolConnection, index: number) =>
    new Promise<void>((resolve, reject) => {
      const random = seededRandom(options.seed + index);
      const next = messageMaker(
        options.mix,
        keyPicker(options.distribution, options.keys, options.skew, random),
        random,
      );
      let inFlight = 0;
      let refillQueued = false;
      const arrived = (writtenAt: bigint, message: string) => (reply: string) => {
        histogram.record(Math.max(1, Number(process.hrtime.bigint() - writtenAt)));
        options.onReply?.(message, reply);
        completed++;
        inFlight--;
        if (reply.startsWith('OP=ERR;')) {
          errors++;
          const code = /^OP=ERR;CODE=([^;]*);/.exec(reply)?.[1] ?? 'unreadable';
          errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        }
        // Replies that came in one read are all counted before the window is refilled, so
        // their successors go out in one write.
        if (!refillQueued) {
          refillQueued = true;
          queueMicrotask(refill);
        }
      };
      const refill = () => {
        refillQueued = false;
        const room =
          Date.now() < deadline ? Math.min(options.pipeline - inFlight, budget - sent) : 0;
        if (room > 0) {
          const messages = Array.from({ length: room }, next);
          sent += room;
          inFlight += room;
          const writtenAt = process.hrtime.bigint();
          const replies = connection.sendEach(messages);
          for (let i = 0; i < replies.length; i++) {
            replies[i].then(arrived(writtenAt, messages[i]), reject);
          }
        } else if (inFlight === 0) {
          resolve();
        }
      };
      refill();
    });

  try {
    await Promise.all(connections.map(worker));
  } finally {
    clearInterval(progressTimer);
    for (const connection of connections) connection.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ms = (nanoseconds: number) => nanoseconds / 1e6;
  return {
    requests: completed,
    errors,
    errorCodes,
    seconds,
    throughput: completed / seconds,
    latencyMs: {
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      p999: ms(histogram.percentile(99.9)),
      max: ms(histogram.max),
    },
  };
}
