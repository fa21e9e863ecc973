import type {
  DecisionEvent,
  RecentEvents,
  StreamConnected,
  StreamDropped,
} from '@semicache/client/events-api';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

/** What the feed tells the page. */
export interface FeedListener {
  status(status: FeedStatus): void;
  /** A new run of the app (the first connection, or after a restart): forget what came before. */
  reset(notice: StreamConnected): void;
  /** Events in seq order, oldest first: the recent past at first, then what the stream brings. */
  events(events: DecisionEvent[]): void;
  /** The stream skipped `count` events this page read too slowly for. */
  dropped(count: number): void;
}

/** How often queued events reach the page: one render for a burst, not one per event. */
const FLUSH_MS = 100;

export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * The app's events for the page: `GET /events` through the browser's `EventSource` (which
 * reconnects by itself and resumes with `Last-Event-ID`), and on each new run of the app the
 * recent past from `GET /events/recent`: the events before the stream's first (`nextSeq` of
 * its `connected` notice), so that none is shown twice or missed.
 */
export class EventFeed {
  private source: EventSource | undefined;
  private run: string | undefined;
  private queued: DecisionEvent[] = [];
  private loadingRecent = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly recentLimit: number,
    private readonly listener: FeedListener,
  ) {}

  start(): void {
    const source = new EventSource('events');
    this.source = source;
    this.listener.status('connecting');
    source.addEventListener('connected', (message) => {
      void this.connected(JSON.parse(message.data as string) as StreamConnected);
    });
    source.addEventListener('dropped', (message) => {
      this.listener.dropped((JSON.parse(message.data as string) as StreamDropped).count);
    });
    source.onmessage = (message) => {
      this.queued.push(JSON.parse(message.data as string) as DecisionEvent);
      this.scheduleFlush();
    };
    source.onerror = () => this.listener.status('reconnecting');
  }

  stop(): void {
    this.source?.close();
    clearTimeout(this.flushTimer);
  }

  private async connected(notice: StreamConnected): Promise<void> {
    this.listener.status('live');
    // The same run: EventSource resumed after the last event it got.
    if (notice.run === this.run) return;
    this.run = notice.run;
    this.queued = this.queued.filter((event) => event.seq >= notice.nextSeq);
    this.listener.reset(notice);
    this.loadingRecent = true;
    try {
      const recent = await fetchJson<RecentEvents>(`events/recent?limit=${this.recentLimit}`);
      if (this.run !== notice.run) return;
      const before = recent.events.filter((event) => event.seq < notice.nextSeq);
      this.queued = [...before, ...this.queued];
    } catch {
      // The recent past is a nicety: the stream goes on without it.
    } finally {
      this.loadingRecent = false;
    }
    this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.loadingRecent) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.loadingRecent || this.queued.length === 0) return;
    const events = this.queued;
    this.queued = [];
    this.listener.events(events);
  }
}
