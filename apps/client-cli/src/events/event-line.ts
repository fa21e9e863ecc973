import {
  type Decision,
  type DecisionEvent,
  type DecisionKind,
  decisionGroups,
  formatClock,
} from '@semicache/client';
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];
/** Colours a piece of a line (or leaves it as it is, off a terminal). */
export type Paint = (style: Style, text: string) => string;

export const PLAIN: Paint = (_style, text) => text;
export const COLOURED: Paint = (style, text) => styleText(style, text);

const STYLES: Record<DecisionKind, Style> = {
  hit: 'green',
  miss: 'yellow',
  stored: 'cyan',
  skipped: 'magenta',
  evicted: 'red',
  written: 'blue',
  dropped: 'red',
  cleared: 'red',
  read: 'green',
};

/** `HIT 1,2 · MISS 7 (0.21 ms) · EVICT 3 (oldest, 4.2 s) · STORE 7`. */
function decisionsText(decisions: readonly Decision[], paint: Paint): string {
  return decisionGroups(decisions)
    .map(({ kind, label, items, note }) => {
      const what = [paint(STYLES[kind], label), items.join(',')]
        .filter((part) => part !== '')
        .join(' ');
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
    paint('dim', formatClock(event.time)),
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
