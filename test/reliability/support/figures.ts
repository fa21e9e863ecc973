/**
 * The figures each reliability test measured (inputs fuzzed, connections held, faults injected,
 * operations checked, anomalies, acknowledged writes lost). Each test calls `recordFigures`: the
 * figures are printed, and merged into `figures.json` under a temp dir (named in the printout).
 * Only when RELIABILITY_FIGURES names a file (relative to the repository root or absolute) are
 * they merged into that file too, e.g. RELIABILITY_FIGURES=docs/reliability-figures.json, so a
 * normal test run writes nothing in the repository.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from '../../support/processes';

export type Figure = number | string | boolean;
/** Figures by name, flat or grouped one level deep (e.g. by target or policy). */
export type Figures = Readonly<Record<string, Figure | Readonly<Record<string, Figure>>>>;

export const TEMP_FIGURES = join(tmpdir(), 'semicache-reliability', 'figures.json');

function machine(): Record<string, string | number> {
  let model = cpus()[0]?.model ?? 'unknown';
  if (existsSync('/proc/cpuinfo')) {
    const line = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (line !== null) model = line[1].trim();
  }
  return {
    cpus: cpus().length,
    cpuModel: model,
    node: process.version,
    platform: process.platform,
  };
}

function merge(path: string, section: string, figures: Figures): void {
  mkdirSync(dirname(path), { recursive: true });
  let all: Record<string, unknown> = {};
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    if (text.trim() !== '') all = JSON.parse(text) as Record<string, unknown>;
  }
  all.machine = machine();
  all[section] = { ...figures, recordedAt: new Date().toISOString() };
  // Written whole, then renamed: a reader never sees half a file.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(all, null, 2) + '\n');
  renameSync(temp, path);
}

/** Prints `figures` and records them under `section` (see the top of this file). */
export function recordFigures(section: string, figures: Figures): void {
  console.log(`reliability figures: ${section}\n${JSON.stringify(figures, null, 2)}`);
  merge(TEMP_FIGURES, section, figures);
  const target = process.env.RELIABILITY_FIGURES;
  if (target !== undefined && target !== '') merge(resolve(ROOT, target), section, figures);
}
