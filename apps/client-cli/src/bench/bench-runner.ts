import { ProtocolConnection, seededRandom } from '@semicache/client';
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
}

export interface BenchResult {
  readonly requests: number;
  readonly errors: number;
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
 * Drives `connections` connections, each keeping `pipeline` requests in flight (one write per
 * batch), until the duration or the request budget runs out. Latency is per request, from the
 * batch's write to the reply.
 */
export async function runBench(
  options: BenchOptions,
  onProgress?: (progress: Progress) => void,
): Promise<BenchResult> {
  const histogram = createHistogram();
  const opened = await Promise.allSettled(
    Array.from({ length: options.connections }, () =>
      ProtocolConnection.open(options.host, options.port, options.timeoutMs),
    ),
  );
  const connections = opened.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = opened.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    // Close what did open, or those sockets keep the process alive.
    for (const connection of connections) connection.close();
    throw (failed as PromiseRejectedResult).reason;
  }
  let sent = 0;
  let completed = 0;
  let errors = 0;
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

  const worker = async (connection: ProtocolConnection, index: number) => {
    const random = seededRandom(options.seed + index);
    const next = messageMaker(
      options.mix,
      keyPicker(options.distribution, options.keys, options.skew, random),
      random,
    );
    const batch = new Array<string>(options.pipeline);
    while (Date.now() < deadline && sent < budget) {
      const size = Math.min(options.pipeline, budget - sent);
      sent += size;
      batch.length = size;
      for (let i = 0; i < size; i++) batch[i] = next();
      const before = process.hrtime.bigint();
      const replies = await connection.sendBatch(batch);
      const nanoseconds = Number(process.hrtime.bigint() - before);
      for (const reply of replies) {
        histogram.record(Math.max(1, nanoseconds));
        if (reply.startsWith('OP=ERR;')) errors++;
      }
      completed += replies.length;
    }
  };

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
