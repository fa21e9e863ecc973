import type { CacheView } from '@semicache/client/admin-api';
import { formatAge } from '@semicache/client/decision-groups';

/** Slots shown at most; a larger cache says how many more it holds. */
const SHOWN_SLOTS = 64;

/**
 * The cache's entries in eviction order (the next to go first), each with its age, the next
 * victim marked, the free slots after them.
 */
export function CacheSlots(props: { view: CacheView; loadedAt: number; now: number }) {
  const { view } = props;
  const since = Math.max(0, props.now - props.loadedAt);
  const shown = view.entries.slice(0, SHOWN_SLOTS);
  const free = Math.max(0, Math.min(view.capacity, SHOWN_SLOTS) - shown.length);
  return (
    <div>
      <ol class="slots" data-testid="slots">
        {shown.map((entry, position) => {
          const victim = entry.index === view.nextVictim;
          return (
            <li
              key={entry.index}
              class={`slot ${victim ? 'victim' : ''} ${entry.ageMs + since < 2000 ? 'fresh' : ''}`}
              data-testid="slot"
              data-index={entry.index}
              data-victim={victim ? 'true' : undefined}
            >
              <span class="slot-position">{position + 1}</span>
              <span class="slot-index">{entry.index}</span>
              <span class="slot-value" title="value">
                = {entry.value}
              </span>
              <span class="slot-age">{formatAge(entry.ageMs + since)}</span>
              {victim ? <span class="victim-tag">next victim</span> : null}
            </li>
          );
        })}
        {Array.from({ length: free }, (_, position) => (
          <li key={`free-${position}`} class="slot free">
            <span class="slot-position">{shown.length + position + 1}</span>
            <span class="slot-free">free</span>
          </li>
        ))}
      </ol>
      {view.entries.length > shown.length ? (
        <p class="more">… and {view.entries.length - shown.length} more entries</p>
      ) : null}
    </div>
  );
}
