import type { DecisionEvent, StreamConnected } from '@semicache/client/events-api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { EventFeed, type FeedStatus, fetchJson } from './event-feed';

/** How many events the page lists, newest first. */
export const LISTED_EVENTS = 100;
/** How many recent events a page loads when it opens (the ring's default size). */
const RECENT_EVENTS = 1000;

export interface Feed {
  readonly status: FeedStatus;
  readonly connected: StreamConnected | undefined;
  /** The newest `LISTED_EVENTS` events, newest first. */
  readonly events: readonly DecisionEvent[];
  /** Events the stream skipped because the page read too slowly. */
  readonly missed: number;
  /** Counts every batch of events and every new run: what snapshots reload on. */
  readonly version: number;
}

/**
 * The app's events (see `EventFeed`), as state; `onEvents` sees every batch (including the ones
 * past the listed), `onReset` each new run of the app.
 */
export function useFeed(
  onEvents?: (events: readonly DecisionEvent[]) => void,
  onReset?: () => void,
): Feed {
  const [feed, setFeed] = useState<Feed>({
    status: 'connecting',
    connected: undefined,
    events: [],
    missed: 0,
    version: 0,
  });
  const handlers = useRef({ onEvents, onReset });
  handlers.current = { onEvents, onReset };
  useEffect(() => {
    const eventFeed = new EventFeed(RECENT_EVENTS, {
      status: (status) => setFeed((feed) => ({ ...feed, status })),
      reset: (connected) => {
        handlers.current.onReset?.();
        setFeed((feed) => ({
          ...feed,
          connected,
          events: [],
          missed: 0,
          version: feed.version + 1,
        }));
      },
      events: (events) => {
        handlers.current.onEvents?.(events);
        const newest = events.slice(-LISTED_EVENTS).reverse();
        setFeed((feed) => ({
          ...feed,
          events: [...newest, ...feed.events].slice(0, LISTED_EVENTS),
          version: feed.version + 1,
        }));
      },
      dropped: (count) => setFeed((feed) => ({ ...feed, missed: feed.missed + count })),
    });
    eventFeed.start();
    return () => eventFeed.stop();
  }, []);
  return feed;
}

/** The least time between two loads of one snapshot, however fast events come. */
const RELOAD_MS = 250;

/**
 * The JSON at `url`, loaded again whenever `version` changes (at most every 250 ms, one load at
 * a time, the last change always followed by a load), with when it was loaded.
 */
export function useSnapshot<T>(
  url: string,
  version: number,
): { value: T | undefined; loadedAt: number; error: string | undefined } {
  const [state, setState] = useState<{ value: T | undefined; loadedAt: number; error?: string }>({
    value: undefined,
    loadedAt: 0,
  });
  const loader = useRef<{
    busy: boolean;
    again: boolean;
    last: number;
    timer: ReturnType<typeof setTimeout> | undefined;
  }>({ busy: false, again: false, last: 0, timer: undefined });
  useEffect(() => {
    const current = loader.current;
    const load = async (): Promise<void> => {
      current.busy = true;
      current.again = false;
      current.last = Date.now();
      try {
        const value = await fetchJson<T>(url);
        setState({ value, loadedAt: Date.now() });
      } catch (error) {
        setState((state) => ({ ...state, error: String(error) }));
      } finally {
        current.busy = false;
      }
      if (current.again) schedule();
    };
    const schedule = (): void => {
      if (current.busy) {
        current.again = true;
        return;
      }
      if (current.timer !== undefined) return;
      const wait = Math.max(0, current.last + RELOAD_MS - Date.now());
      current.timer = setTimeout(() => {
        current.timer = undefined;
        void load();
      }, wait);
    };
    schedule();
  }, [url, version]);
  useEffect(() => () => clearTimeout(loader.current.timer), []);
  return { value: state.value, loadedAt: state.loadedAt, error: state.error };
}

/** The time now, again every `everyMs` (for ages and the chart's moving minute). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
