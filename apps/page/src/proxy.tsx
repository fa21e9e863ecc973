import type { CacheView, HeatView } from '@semicache/client/admin-api';
import type { DecisionEvent } from '@semicache/client/events-api';
import { formatAge } from '@semicache/client/decision-groups';
import { render } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { CacheSlots } from './components/cache-slots';
import { DecisionList } from './components/decision-list';
import { Card, Header } from './components/header';
import { HeatTable } from './components/heat-table';
import { HitRatioChart } from './components/hit-ratio-chart';
import { LISTED_EVENTS, useFeed, useNow, useSnapshot } from './hooks';
import { LookupWindow } from './lookup-window';

/** Indices the heat table lists. */
const HEAT_ROWS = 20;

type Eviction = Extract<DecisionEvent['decisions'][number], { kind: 'evicted' }>;

/** The last eviction among `events` (oldest first), if any. */
function lastEviction(events: readonly DecisionEvent[]): Eviction | undefined {
  for (let position = events.length - 1; position >= 0; position--) {
    const decisions = events[position].decisions;
    for (let at = decisions.length - 1; at >= 0; at--) {
      const decision = decisions[at];
      if (decision.kind === 'evicted') return decision;
    }
  }
  return undefined;
}

function ProxyPage() {
  const lookups = useRef(new LookupWindow()).current;
  const [evicted, setEvicted] = useState<Eviction>();
  const feed = useFeed(
    (events) => {
      lookups.add(events);
      const eviction = lastEviction(events);
      if (eviction) setEvicted(eviction);
    },
    () => {
      lookups.clear();
      setEvicted(undefined);
    },
  );
  const now = useNow();
  // The order of the slots can change on any lookup (LRU moves a hit to the back): every
  // batch of events reloads them.
  const cache = useSnapshot<CacheView>('cache', feed.version);
  const heat = useSnapshot<HeatView>(`heat?limit=${HEAT_ROWS}`, feed.version);
  const series = useMemo(() => lookups.series(now), [now, feed.version]);
  const minute = lookups.totals(now);
  const view = cache.value;
  return (
    <>
      <Header app="proxy" feed={feed} links={['cache', 'stats', 'heat', 'events', 'metrics']}>
        {view ? (
          <>
            <span>
              policy <b>{view.policy}</b>
            </span>
            <span>
              <b>
                {view.size}/{view.capacity}
              </b>{' '}
              slots used
            </span>
          </>
        ) : null}
        <span data-testid="minute-ratio">
          hit ratio (1 min){' '}
          <b>{minute.lookups > 0 ? `${Math.round((minute.hits / minute.lookups) * 100)}%` : '–'}</b>{' '}
          of {minute.lookups} lookups
        </span>
      </Header>
      <main class="grid proxy">
        <Card
          title="Cache slots"
          class="slots-card"
          note={view ? `eviction order: the ${view.reason} goes first` : undefined}
        >
          {view ? <CacheSlots view={view} loadedAt={cache.loadedAt} now={now} /> : <Loading />}
          <p class="last-evicted" data-testid="last-evicted">
            {evicted ? (
              <>
                last evicted <b data-testid="last-evicted-index">{evicted.index}</b> (
                {evicted.reason}, after {formatAge(evicted.ageMs)})
              </>
            ) : (
              'nothing evicted yet'
            )}
          </p>
        </Card>
        <Card title="Hit ratio" class="chart-card" note="each second of the last minute">
          <HitRatioChart series={series} />
        </Card>
        <Card
          title="Decisions"
          class="events-card"
          note={`newest first, the last ${LISTED_EVENTS}${feed.missed > 0 ? ` · ${feed.missed} missed (too fast to show)` : ''}`}
        >
          <DecisionList events={feed.events} />
        </Card>
        <Card title="Heat" class="heat-card" note={`the ${HEAT_ROWS} most looked-up indices`}>
          {heat.value ? (
            <HeatTable heat={heat.value} loadedAt={heat.loadedAt} now={now} />
          ) : (
            <Loading />
          )}
        </Card>
      </main>
    </>
  );
}

function Loading() {
  return <p class="empty">loading…</p>;
}

render(<ProxyPage />, document.getElementById('page')!);
