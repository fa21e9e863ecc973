import {
  type EventView,
  MAX_EVENT_DECISIONS,
  MAX_EVENT_INDICES,
  NO_CONNECTION,
  UNKNOWN,
} from './event-record';
import { DECISION_KINDS, KIND } from './kinds';

/** One decision as JSON: its kind, then the fields that kind has. */
function decisionJson(event: EventView, position: number): string {
  const kind = event.kind(position);
  const index = event.decisionIndex(position);
  const amount = event.amount(position);
  const detail = event.detail(position);
  const head = `{"kind":"${DECISION_KINDS[kind]}"`;
  switch (kind) {
    case KIND.cleared:
      return `${head},"entries":${amount}}`;
    case KIND.miss:
      return amount === UNKNOWN
        ? `${head},"index":${index}}`
        : `${head},"index":${index},"upstreamUs":${amount}}`;
    case KIND.evicted:
      return `${head},"index":${index},"ageMs":${amount},"reason":${JSON.stringify(detail)}}`;
    case KIND.stored:
    case KIND.skipped:
    case KIND.written:
    case KIND.read:
      return `${head},"index":${index},"value":"${String(detail)}"}`;
    default:
      return `${head},"index":${index}}`;
  }
}

/** The last time written, and its ISO text: events of one millisecond share it. */
let isoTime = { ms: Number.NaN, text: '' };

function iso(ms: number): string {
  const whole = Math.floor(ms);
  if (whole !== isoTime.ms) isoTime = { ms: whole, text: new Date(whole).toISOString() };
  return isoTime.text;
}

/**
 * The event's JSON text (the format is in docs/observability.md), written by hand: the record is
 * a set of numbers and references, and this runs only when someone reads the event.
 * `waitField` names the wait (`upstreamUs` on the proxy, `storeUs` on the server).
 */
export function eventJson(record: EventView, app: string, waitField: string): string {
  const conn = record.conn === NO_CONNECTION ? 'null' : String(record.conn);
  const op = record.op === null ? 'null' : JSON.stringify(record.op);
  const indexCount = Math.min(record.indexCount, MAX_EVENT_INDICES);
  let indices = '';
  for (let i = 0; i < indexCount; i++) indices += i === 0 ? record.index(i) : `,${record.index(i)}`;
  let text =
    `{"seq":${record.seq},"time":"${iso(record.time)}","app":"${app}",` +
    `"conn":${conn},"op":${op},"indices":[${indices}],"outcome":"${record.outcome}"`;
  if (record.outcome === 'error') {
    text += `,"code":${JSON.stringify(record.code)}`;
    if (record.message !== undefined) text += `,"message":${JSON.stringify(record.message)}`;
  }
  text += `,"durationUs":${record.durationUs},"source":"${record.source}"`;
  if (record.waitUs !== UNKNOWN) text += `,"${waitField}":${record.waitUs}`;
  const decisionCount = Math.min(record.decisionCount, MAX_EVENT_DECISIONS);
  text += ',"decisions":[';
  for (let i = 0; i < decisionCount; i++) text += (i === 0 ? '' : ',') + decisionJson(record, i);
  text += ']';
  const omittedIndices = record.indexCount - indexCount;
  const omittedDecisions = record.decisionCount - decisionCount;
  if (omittedIndices > 0 || omittedDecisions > 0) {
    text += `,"omitted":{"indices":${omittedIndices},"decisions":${omittedDecisions}}`;
  }
  return text + '}';
}
