import { type PoliciesView, ProxyAdmin } from '@semicache/client';
import {
  SIMULATED_POLICIES,
  type SimulatedPolicy,
  type Trace,
  TraceError,
  parseTrace,
  simulate,
} from '@semicache/policies';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { GlobalOptions, Output } from '../program';
import { CliError, EXIT, adminFailure } from '../session';
import { hitRatioTable, missRatioCurve } from './comparison';

/** The largest capacity `simulate` replays. */
const MAX_SIMULATED_CAPACITY = 1024;

/** `fifo,lru,opt`: known names, each once, in the order given. */
function policyList(value: string): SimulatedPolicy[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!(SIMULATED_POLICIES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `"${name}" is not a policy: choose from ${SIMULATED_POLICIES.join(', ')}`,
      );
    }
  }
  return [...new Set(names)] as SimulatedPolicy[];
}

/** `1..10`, or one capacity: `5`. */
function capacityRange(value: string): number[] {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(value.trim());
  const from = Number(match?.[1]);
  const to = Number(match?.[2] ?? match?.[1]);
  if (match === null || from < 1 || to < from || to > MAX_SIMULATED_CAPACITY) {
    throw new InvalidArgumentError(
      `expected capacities as FROM..TO (e.g. 1..10) or one capacity, within 1..${MAX_SIMULATED_CAPACITY}`,
    );
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function readTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  try {
    return parseTrace(text);
  } catch (error) {
    if (error instanceof TraceError) throw new CliError(`${file}: ${error.message}`, EXIT.usage);
    throw error;
  }
}

function traceSummary(trace: Trace): {
  entries: number;
  lookups: number;
  writes: number;
  clears: number;
} {
  const count = (kind: string) => trace.filter((entry) => entry.kind === kind).length;
  return {
    entries: trace.length,
    lookups: count('lookup'),
    writes: count('write'),
    clears: count('clear'),
  };
}

const number = (value: number) => value.toLocaleString('en-US');

/** `semicache policies`: the comparison of the proxy's `GET /policies`, for a person. */
export function renderPolicies(view: PoliciesView): string {
  const { live, shadows, opt } = view;
  const lookups = shadows.results[0]?.lookups ?? 0;
  const head = [
    `live cache: ${live.policy}, capacity ${live.capacity}`,
    `shadows: every policy at capacities 1..${shadows.maxCapacity}, ${number(lookups)} lookups since ${shadows.since}` +
      ` (${number(shadows.bypassedLookups)} bypassed the cache, ${number(shadows.skippedFills)} fills skipped)`,
    `opt: the last ${number(opt.lookups)} lookups (${number(opt.entries)} of at most ${number(opt.window)} trace entries)` +
      (opt.coversShadows ? ', as the shadows' : ', fewer than the shadows: compare with care') +
      (opt.complete
        ? ''
        : `; stopped after capacity ${opt.results.length} (${opt.budgetMs} ms budget)`),
  ];
  const results = [...shadows.results, ...opt.results];
  const outside = live.capacity > shadows.maxCapacity ? ' (the live capacity is beyond them)' : '';
  return [
    ...head,
    '',
    `hit ratio by capacity (* the live cache)${outside}`,
    hitRatioTable(results, live),
    '',
    missRatioCurve(results),
  ].join('\n');
}

function renderSimulation(
  file: string,
  trace: Trace,
  results: ReturnType<typeof simulate>,
): string {
  const { entries, lookups, writes, clears } = traceSummary(trace);
  return [
    `${file}: ${number(entries)} entries (${number(lookups)} lookups, ${number(writes)} writes, ${number(clears)} clears)`,
    '',
    'hit ratio by capacity',
    hitRatioTable(results),
    '',
    missRatioCurve(results),
  ].join('\n');
}

/** `semicache policies` and `semicache simulate`. */
export function addPolicyCommands(
  program: Command,
  options: () => GlobalOptions,
  output: Output,
): void {
  program
    .command('policies')
    .description(
      "what every policy would have hit at each capacity on the proxy's traffic, beside OPT (GET /policies)",
    )
    .action(async () => {
      const { proxyAdmin, timeout, json } = options();
      let view: PoliciesView;
      try {
        view = await new ProxyAdmin(proxyAdmin, timeout).policies();
      } catch (error) {
        throw adminFailure(error);
      }
      output.out(json ? JSON.stringify(view) : renderPolicies(view));
    });
  program
    .command('simulate')
    .description(
      'replay a recorded trace (NDJSON from "trace record", or a list of indices) against the policies and OPT',
    )
    .requiredOption('--trace <file>', 'the trace to replay')
    .addOption(
      new Option('--policies <list>', `comma-separated, of ${SIMULATED_POLICIES.join(', ')}`)
        .default([...SIMULATED_POLICIES], SIMULATED_POLICIES.join(','))
        .argParser(policyList),
    )
    .addOption(
      new Option('--capacity <range>', 'capacities to replay, FROM..TO or one')
        .default(capacityRange('1..10'), '1..10')
        .argParser(capacityRange),
    )
    .action((flags: { trace: string; policies: SimulatedPolicy[]; capacity: number[] }) => {
      const trace = readTrace(flags.trace);
      const results = simulate(trace, flags.policies, flags.capacity);
      output.out(
        options().json
          ? JSON.stringify({ trace: traceSummary(trace), results })
          : renderSimulation(flags.trace, trace, results),
      );
    });
}
