import type { Decision, DecisionEvent } from '@semicache/client';
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];
/** Colours a piece of a line (or leaves it as it is, off a terminal). */
export type Paint = (style: Style, text: string) => string;

export const PLAIN: Paint = (_style, text) => text;
export const COLOURED: Paint = (style, text) => styleText(style, text);

const LABELS: Record<Decision['kind'], [string, Style]> = {
  hit: ['HIT', 'green'],
  miss: ['MISS', 'yellow'],
  stored: ['STORE', 'cyan'],
  skipped: ['SKIP', 'magenta'],
  evicted: ['EVICT', 'red'],
  written: ['WRITE', 'blue'],
  dropped: ['DROP', 'red'],
  cleared: ['CLEAR', 'red'],
  read: ['READ', 'green'],
};

const pad = (number: number, width = 2) => String(number).padStart(width, '0');

/** `12:00:01.123`, in local time. */
function clock(iso: string): string {
  const time = new Date(iso);
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}

/** `0.21 ms` from µs. */
const millis = (us: number) => `${(us / 1000).toFixed(2)} ms`;

/** An age: `850 ms`, `4.2 s`, `3.5 min`. */
function age(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** What one decision adds to its group's list (`7`, `1=5`), and what it says after it. */
function item(decision: Decision): { item: string; note?: string } {
  switch (decision.kind) {
    case 'miss':
      return {
        item: String(decision.index),
        note: decision.upstreamUs === undefined ? undefined : millis(decision.upstreamUs),
      };
    case 'evicted':
      return { item: String(decision.index), note: `${decision.reason}, ${age(decision.ageMs)}` };
    case 'skipped':
      return { item: String(decision.index), note: 'a write raced the fetch' };
    case 'written':
    case 'read':
      return { item: `${decision.index}=${decision.value}` };
    case 'cleared':
      return { item: '', note: `${decision.entries} entries` };
    default:
      return { item: String(decision.index) };
  }
}

/**
 * The decisions, in order, consecutive ones of a kind (and note) as one group:
 * `HIT 1,2 · MISS 7 (0.21 ms) · EVICT 3 (oldest, 4.2 s) · STORE 7`.
 */
function decisionsText(decisions: readonly Decision[], paint: Paint): string {
  const groups: { kind: Decision['kind']; items: string[]; note?: string }[] = [];
  for (const decision of decisions) {
    const { item: text, note } = item(decision);
    const last = groups[groups.length - 1];
    if (last?.kind === decision.kind && last.note === note && decision.kind !== 'evicted') {
      last.items.push(text);
    } else groups.push({ kind: decision.kind, items: [text], note });
  }
  return groups
    .map(({ kind, items, note }) => {
      const [label, style] = LABELS[kind];
      const what = [paint(style, label), items.join(',')].filter((part) => part !== '').join(' ');
      return note === undefined ? what : `${what} (${note})`;
    })
    .join(' · ');
}

/**
 * One event as one line for a person:
 * `12:00:01.123 #4521 GET 1,7  HIT 1 · MISS 7 (0.21 ms) · EVICT 3 (oldest, 4.2 s) · STORE 7`,
 * and an error's code and message at the end.
 */
export function eventLine(event: DecisionEvent, paint: Paint = PLAIN): string {
  const more = event.omitted?.indices ? `,…(+${event.omitted.indices})` : '';
  const head = [
    paint('dim', clock(event.time)),
    paint('dim', `#${event.seq}`),
    paint('bold', event.op ?? '?'),
    `${event.indices.join(',')}${more}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
  const parts = [head];
  if (event.decisions.length > 0) parts.push(decisionsText(event.decisions, paint));
  if (event.outcome === 'error') {
    parts.push(paint('red', `ERR ${event.code ?? ''}${event.message ? `: ${event.message}` : ''}`));
  }
  return parts.join('  ').trimEnd();
}
