import type { EventLog } from './event-log';
import { type EventView, UNKNOWN } from './event-record';

const ms = (us: number) => Math.round(us) / 1000;

/**
 * The fields of the warning line about a slow request, read from its event: what it was, how
 * long it took, and where the time went — waiting for the dependency (`upstreamMs` on the
 * proxy, `storeMs` on the server) and the app's own part (`cacheMs`, `tableMs`).
 */
export function slowRequestFields(event: EventView, log: EventLog): Record<string, unknown> {
  const waited = event.waitUs === UNKNOWN ? 0 : Math.min(event.waitUs, event.durationUs);
  return {
    msg: 'slow request',
    seq: event.seq,
    conn: event.conn,
    op: event.op,
    indices: event.indexCount,
    outcome: event.outcome === 'ok' ? 'ok' : event.code,
    source: event.source,
    ms: ms(event.durationUs),
    [log.waitField.replace(/Us$/, 'Ms')]: ms(waited),
    [`${log.defaultSource}Ms`]: ms(event.durationUs - waited),
  };
}
