import { type CacheStats, ProxyAdmin } from '@semicache/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { GlobalOptions, Output } from '../program';
import { CliError, EXIT } from '../session';
import { type BenchResult, runBench } from './bench-runner';
import { TraceRecorder } from './trace-recorder';
import { type Distribution, parseMix } from './workload';

interface BenchFlags {
  connections: number;
  pipeline: number;
  duration: number;
  requests?: number;
  mix: string;
  keys: number;
  distribution: Distribution;
  skew: number;
  seed: number;
  record?: string;
}

function positive(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!(number > 0) || !Number.isFinite(number))
      throw new InvalidArgumentError(`${name} must be a positive number`);
    return number;
  };
}

/** The proxy's hit and miss counts, or undefined when its admin API does not answer (e.g. benchmarking the server). */
function hitFigures(proxy: ProxyAdmin): Promise<CacheStats | undefined> {
  return proxy.stats().catch(() => undefined);
}

const number = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function renderBench(result: BenchResult, hitRatio: number | null): string {
  const { p50, p90, p99, p999, max } = result.latencyMs;
  return [
    `requests ${number(result.requests)} in ${number(result.seconds, 2)} s   ${number(result.throughput)} req/s   errors ${number(result.errors)}`,
    `latency ms  p50 ${number(p50, 3)}  p90 ${number(p90, 3)}  p99 ${number(p99, 3)}  p99.9 ${number(p999, 3)}  max ${number(max, 3)}`,
    `cache hit ratio ${hitRatio === null ? 'n/a (no proxy stats)' : `${number(hitRatio * 100, 1)}%`}`,
  ].join('\n');
}

/** `semicache bench`: load in the spirit of redis-benchmark / memtier_benchmark. */
export function addBenchCommand(
  program: Command,
  options: () => GlobalOptions,
  output: Output,
): void {
  program
    .command('bench')
    .description('measure throughput and latency against the proxy (or a server with --port)')
    .addOption(
      new Option('-c, --connections <n>', 'connections')
        .default(50)
        .argParser(positive('--connections')),
    )
    .addOption(
      new Option('-P, --pipeline <n>', 'requests in flight per connection')
        .default(1)
        .argParser(positive('--pipeline')),
    )
    .addOption(
      new Option('-d, --duration <seconds>', 'how long to run')
        .default(10)
        .argParser(positive('--duration')),
    )
    .addOption(
      new Option(
        '-n, --requests <n>',
        'stop after this many requests (before the duration if sooner)',
      ).argParser(positive('--requests')),
    )
    .option('--mix <weights>', 'operation mix, e.g. get=80,put=15,add=5', 'get=100')
    .addOption(
      new Option('--keys <n>', 'key space: indices 0..n-1')
        .default(10)
        .argParser(positive('--keys')),
    )
    .addOption(
      new Option('--distribution <kind>', 'how keys are drawn')
        .choices(['uniform', 'zipf', 'sequential'])
        .default('uniform'),
    )
    .addOption(new Option('--skew <s>', 'zipf skew').default(0.99).argParser(positive('--skew')))
    .addOption(
      new Option('--seed <n>', 'random seed, for repeatable runs')
        .default(1)
        .argParser(positive('--seed')),
    )
    .option(
      '--record <file>',
      'write every request sent to FILE as NDJSON, in the order replies arrive (a trace for "simulate")',
    )
    .action(async (flags: BenchFlags) => {
      const global = options();
      let mix;
      try {
        mix = parseMix(flags.mix);
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.usage);
      }
      let recorder: TraceRecorder | undefined;
      if (flags.record !== undefined) {
        try {
          recorder = await TraceRecorder.create(flags.record);
        } catch (error) {
          throw new CliError(
            `cannot write ${flags.record}: ${(error as Error).message}`,
            EXIT.usage,
          );
        }
      }
      const proxyAdmin = new ProxyAdmin(global.proxyAdmin, global.timeout);
      const before = await hitFigures(proxyAdmin);
      if (!global.json) {
        output.err(
          `bench ${global.host}:${global.port}: ${flags.connections} connections, pipeline ${flags.pipeline}, ` +
            `${flags.requests ? `${flags.requests} requests or ` : ''}${flags.duration} s, mix ${flags.mix}, ` +
            `${flags.keys} keys ${flags.distribution}`,
        );
      }
      let result: BenchResult;
      try {
        result = await runBench(
          {
            host: global.host,
            port: global.port,
            connections: Math.floor(flags.connections),
            pipeline: Math.floor(flags.pipeline),
            durationSeconds: flags.duration,
            requests: flags.requests === undefined ? undefined : Math.floor(flags.requests),
            mix,
            keys: Math.floor(flags.keys),
            distribution: flags.distribution,
            skew: flags.skew,
            seed: Math.floor(flags.seed),
            timeoutMs: global.timeout,
            framing: global.framing,
            onReply: recorder && ((message, reply) => recorder.record(message, reply)),
          },
          global.json
            ? undefined
            : (progress) =>
                output.err(
                  `  ${number(progress.elapsedSeconds, 0)} s  ${number(progress.requests / progress.elapsedSeconds)} req/s  errors ${progress.errors}`,
                ),
        );
      } catch (error) {
        throw new CliError(`bench failed: ${(error as Error).message}`, EXIT.connection);
      } finally {
        await recorder?.close();
      }
      const after = await hitFigures(proxyAdmin);
      let hitRatio: number | null = null;
      if (before && after) {
        const hits = after.hits - before.hits;
        const lookups = hits + after.misses - before.misses;
        hitRatio = lookups > 0 ? hits / lookups : null;
      }
      output.out(
        global.json ? JSON.stringify({ ...result, hitRatio }) : renderBench(result, hitRatio),
      );
      const badIndex = result.errorCodes.BAD_INDEX ?? 0;
      const keys = Math.floor(flags.keys);
      if (badIndex * 2 > result.requests) {
        output.err(
          `most requests (${number(badIndex)} of ${number(result.requests)}) got BAD_INDEX: ` +
            `--keys ${keys} draws indices 0..${keys - 1}, past the end of the table; ` +
            `use a smaller --keys, or start the server with --size ${keys}`,
        );
      }
      if (result.errors > 0)
        throw new CliError(`${result.errors} request(s) got an error reply`, EXIT.errorReply);
    });
}
