import type { Decision, DecisionKind } from './events-api';

/**
 * How an event's decisions read for a person, shared by `semicache watch` (a terminal line) and
 * the admin page (coloured chips). Plain TypeScript with no Node import: the page's browser
 * bundle loads it too.
 */

/** The word each kind is shown as. */
export const DECISION_LABELS: Record<DecisionKind, string> = {
  hit: 'HIT',
  miss: 'MISS',
  stored: 'STORE',
  skipped: 'SKIP',
  evicted: 'EVICT',
  written: 'WRITE',
  dropped: 'DROP',
  cleared: 'CLEAR',
  read: 'READ',
};

const pad = (number: number, width = 2) => String(number).padStart(width, '0');

/** `12:00:01.123` from an ISO time, in local time. */
export function formatClock(iso: string): string {
  const time = new Date(iso);
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}

/** `0.21 ms` from µs. */
export const formatMicros = (us: number): string => `${(us / 1000).toFixed(2)} ms`;

/** An age: `850 ms`, `4.2 s`, `3.5 min`. */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** What one decision adds to its group's list (`7`, `1=5`), and what it says after it. */
function item(decision: Decision): { item: string; note?: string } {
  switch (decision.kind) {
    case 'miss':
      return {
        item: String(decision.index),
        note: decision.upstreamUs === undefined ? undefined : formatMicros(decision.upstreamUs),
      };
    case 'evicted':
      return {
        item: String(decision.index),
        note: `${decision.reason}, ${formatAge(decision.ageMs)}`,
      };
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

/** Consecutive decisions of one kind (and note): `MISS 7,8 (0.21 ms)`. */
export interface DecisionGroup {
  readonly kind: DecisionKind;
  readonly label: string;
  /** `7`, `1=5`; empty for a `cleared`. */
  readonly items: readonly string[];
  readonly note?: string;
}

/**
 * The decisions, in order, consecutive ones of a kind (and note) as one group; evictions stay one
 * by one, each with its own age: `HIT 1,2 · MISS 7 (0.21 ms) · EVICT 3 (oldest, 4.2 s) · STORE 7`.
 */
export function decisionGroups(decisions: readonly Decision[]): DecisionGroup[] {
  const groups: { kind: DecisionKind; label: string; items: string[]; note?: string }[] = [];
  for (const decision of decisions) {
    const { item: text, note } = item(decision);
    const last = groups[groups.length - 1];
    if (last?.kind === decision.kind && last.note === note && decision.kind !== 'evicted') {
      last.items.push(text);
    } else {
      groups.push({
        kind: decision.kind,
        label: DECISION_LABELS[decision.kind],
        items: [text],
        note,
      });
    }
  }
  return groups;
}
