import type { TableView } from '@semicache/client/admin-api';
import type { DecisionEvent } from '@semicache/client/events-api';
import { formatClock } from '@semicache/client/decision-groups';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { DecisionList } from './components/decision-list';
import { Card, Header } from './components/header';
import { LISTED_EVENTS, useFeed, useSnapshot } from './hooks';

/** How many of the latest writes (distinct indices) are highlighted. */
const HIGHLIGHTED_WRITES = 8;
/** Cells shown at most; a larger table says how many more it has. */
const SHOWN_CELLS = 1000;

interface Write {
  readonly index: number;
  readonly value: string;
  readonly time: string;
}

interface Writes {
  /** The latest writes, newest first, one per index. */
  readonly latest: readonly Write[];
  /** The value of every index written since the page began following this run of the app. */
  readonly values: ReadonlyMap<number, string>;
  /** When the table was last cleared in that time. */
  readonly clearedAt?: string;
}

const NO_WRITES: Writes = { latest: [], values: new Map() };

/**
 * `writes` after `events` (oldest first). The table is loaded once per run of the app; the
 * events keep it current from then on (a write's value, or a clear's zeros, over the loaded one).
 */
function afterEvents(writes: Writes, events: readonly DecisionEvent[]): Writes {
  let { latest, clearedAt } = writes;
  const values = new Map(writes.values);
  for (const event of events) {
    for (const decision of event.decisions) {
      if (decision.kind === 'written') {
        const write = { index: decision.index, value: decision.value, time: event.time };
        latest = [write, ...latest.filter((old) => old.index !== write.index)];
        values.set(write.index, write.value);
      } else if (decision.kind === 'cleared') {
        latest = [];
        values.clear();
        clearedAt = event.time;
      }
    }
  }
  return { latest: latest.slice(0, HIGHLIGHTED_WRITES), values, clearedAt };
}

function ServerPage() {
  const [writes, setWrites] = useState<Writes>(NO_WRITES);
  const [run, setRun] = useState(0);
  const feed = useFeed(
    (events) => setWrites((writes) => afterEvents(writes, events)),
    () => {
      setWrites(NO_WRITES);
      setRun((run) => run + 1);
    },
  );
  const table = useSnapshot<TableView>('table', run);
  const rank = new Map(writes.latest.map((write, position) => [write.index, position]));
  const view = table.value;
  return (
    <>
      <Header app="server" feed={feed} links={['table', 'health', 'events', 'metrics']}>
        {view ? (
          <span>
            table of <b>{view.size}</b> entries
          </span>
        ) : null}
        {writes.clearedAt ? <span>cleared at {formatClock(writes.clearedAt)}</span> : null}
      </Header>
      <main class="grid server">
        <Card
          title="Table"
          class="table-card"
          note={`the latest ${HIGHLIGHTED_WRITES} writes highlighted, the newest darkest`}
        >
          {view ? (
            <>
              <ol class="cells" data-testid="table">
                {view.entries.slice(0, SHOWN_CELLS).map((entry) => {
                  const position = rank.get(entry.index);
                  const written = position === undefined ? undefined : writes.latest[position];
                  return (
                    <li
                      key={entry.index}
                      class={`cell ${position === 0 ? 'latest' : position !== undefined ? 'recent' : ''}`}
                      data-testid="cell"
                      data-index={entry.index}
                      data-written={
                        position === 0 ? 'latest' : position !== undefined ? 'recent' : undefined
                      }
                      title={written ? `written at ${formatClock(written.time)}` : undefined}
                    >
                      <span class="cell-index">{entry.index}</span>
                      <span class="cell-value">
                        {writes.values.get(entry.index) ??
                          (writes.clearedAt === undefined ? entry.value : '0')}
                      </span>
                    </li>
                  );
                })}
              </ol>
              {view.entries.length > SHOWN_CELLS ? (
                <p class="more">… and {view.entries.length - SHOWN_CELLS} more entries</p>
              ) : null}
            </>
          ) : (
            <p class="empty">loading…</p>
          )}
        </Card>
        <Card title="Latest writes" class="writes-card">
          {writes.latest.length === 0 ? (
            <p class="empty">No write yet.</p>
          ) : (
            <ol class="writes" data-testid="writes">
              {writes.latest.map((write) => (
                <li key={write.index} data-testid="write">
                  <span class="time">{formatClock(write.time)}</span>
                  <span class="write-entry">
                    <b>{write.index}</b> = {write.value}
                  </span>
                </li>
              ))}
            </ol>
          )}
        </Card>
        <Card
          title="Decisions"
          class="events-card"
          note={`newest first, the last ${LISTED_EVENTS}`}
        >
          <DecisionList events={feed.events} />
        </Card>
      </main>
    </>
  );
}

render(<ServerPage />, document.getElementById('page')!);
