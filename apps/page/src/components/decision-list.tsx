import type { DecisionEvent } from '@semicache/client/events-api';
import { decisionGroups, formatClock, formatMicros } from '@semicache/client/decision-groups';

function EventRow({ event }: { event: DecisionEvent }) {
  const more = event.omitted?.indices ? `,…(+${event.omitted.indices})` : '';
  return (
    <li class={`event outcome-${event.outcome}`} data-testid="event" data-seq={event.seq}>
      <span class="time">{formatClock(event.time)}</span>
      <span class="seq">#{event.seq}</span>
      <span class="op">{event.op ?? '?'}</span>
      <span class="indices">
        {event.indices.join(',')}
        {more}
      </span>
      <span class="decisions">
        {decisionGroups(event.decisions).map((group, position) => (
          <span key={position} class={`chip kind-${group.kind}`} data-kind={group.kind}>
            <b>{group.label}</b>
            {group.items.length > 0 && group.items[0] !== '' ? ` ${group.items.join(',')}` : ''}
            {group.note === undefined ? null : <span class="chip-note"> {group.note}</span>}
          </span>
        ))}
        {event.outcome === 'error' ? (
          <span class="chip kind-error" data-kind="error">
            <b>ERR {event.code}</b>
            {event.message ? <span class="chip-note"> {event.message}</span> : null}
          </span>
        ) : null}
      </span>
      <span class="duration">{formatMicros(event.durationUs)}</span>
    </li>
  );
}

/** The stream of decisions, newest first. */
export function DecisionList({ events }: { events: readonly DecisionEvent[] }) {
  if (events.length === 0) {
    return <p class="empty">No requests yet: send one through the protocol port.</p>;
  }
  return (
    <ol class="events" data-testid="events">
      {events.map((event) => (
        <EventRow key={event.seq} event={event} />
      ))}
    </ol>
  );
}
