import type { PolicyCounts } from '@semicache/client';
import { table } from '../format';

/** The policies' letters on the curve, in the order the columns show them. */
const LETTERS: Readonly<Record<string, string>> = {
  fifo: 'f',
  lru: 'l',
  clock: 'c',
  lfu: 'u',
  sieve: 's',
  arc: 'a',
  opt: 'o',
};
/** Where several policies fall on one point of the curve. */
const SEVERAL = '#';
/** Rows of the curve: 100%, 90%, ... 0% miss ratio. */
const STEPS = 10;

/** A policy's counts at one capacity, for the table and the curve. */
type Counts = Pick<PolicyCounts, 'policy' | 'capacity' | 'lookups' | 'hitRatio'>;

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

/** The policies in the order they first appear, and the capacities, ascending. */
function axes(results: readonly Counts[]): { policies: string[]; capacities: number[] } {
  const policies = [...new Set(results.map((result) => result.policy))];
  const capacities = [...new Set(results.map((result) => result.capacity))].sort((a, b) => a - b);
  return { policies, capacities };
}

/**
 * Hit ratios as a table: a row per capacity, a column per policy; `mark` (the live cache)
 * gets a `*`. A policy with no result at a capacity (OPT cut short by its time budget) shows `-`.
 */
export function hitRatioTable(
  results: readonly Counts[],
  mark?: { policy: string; capacity: number },
): string {
  const { policies, capacities } = axes(results);
  const at = new Map(results.map((result) => [`${result.policy}@${result.capacity}`, result]));
  const rows = capacities.map((capacity) => [
    String(capacity),
    ...policies.map((policy) => {
      const result = at.get(`${policy}@${capacity}`);
      if (result === undefined) return '-';
      const live = mark?.policy === policy && mark.capacity === capacity;
      return `${percent(result.hitRatio)}${live ? '*' : ' '}`;
    }),
  ]);
  return table(['capacity', ...policies.map((policy) => `${policy} `)], rows)
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/**
 * The miss ratio of each policy against the capacity, drawn in text: a column per capacity, a
 * row per 10% of miss ratio, each policy's point as its letter (`#` where several meet), and a
 * legend below.
 */
export function missRatioCurve(results: readonly Counts[]): string {
  const { policies, capacities } = axes(results);
  const grid = Array.from({ length: STEPS + 1 }, () => capacities.map(() => ''));
  for (const result of results) {
    if (result.lookups === 0) continue;
    const row = STEPS - Math.round((1 - result.hitRatio) * STEPS);
    const column = capacities.indexOf(result.capacity);
    const letter = LETTERS[result.policy] ?? '?';
    grid[row][column] = grid[row][column] === '' ? letter : SEVERAL;
  }
  const width = Math.max(...capacities.map((capacity) => String(capacity).length)) + 1;
  const lines = grid.map((row, i) => {
    const label = `${(STEPS - i) * 10}%`.padStart(4);
    return `${label} |${row.map((cell) => (cell || ' ').padStart(width)).join('')}`.trimEnd();
  });
  lines.push(`     +${'-'.repeat(width * capacities.length)}`);
  const axis = capacities.map((capacity) => String(capacity).padStart(width)).join('');
  lines.push(`      ${axis}  capacity`);
  const legend = policies.map((policy) => `${LETTERS[policy] ?? '?'} ${policy}`).join('  ');
  return ['miss ratio by capacity', ...lines, `${legend}  ${SEVERAL} several at one point`].join(
    '\n',
  );
}
