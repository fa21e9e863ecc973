import { createParser } from 'eventsource-parser';
import type { StreamConnected, StreamDropped } from './events-api';

/** What a follower is told, as it happens. */
export interface EventHandlers {
  /**
   * Each event: its JSON text as sent (a `DecisionEvent`, parsed only by a follower that needs
   * its fields) and its seq; return false to stop following.
   */
  event(json: string, seq: number): boolean | void;
  /** The events of one chunk read from the socket have all been told (to write them at once). */
  flush?(): void;
  /** The stream is open (again): the app, its heartbeat, where its log stands. */
  connected?(notice: StreamConnected): void;
  /** Events this follower missed because it read too slowly. */
  dropped?(notice: StreamDropped): void;
  /** The stream was lost (or could not be opened); the next try is in `retryMs`. */
  disconnected?(reason: string, retryMs: number): void;
}

export interface FollowOptions {
  /** Stops following (resolves) when aborted. */
  readonly signal?: AbortSignal;
  /** Resume after this seq, as if it had been the last event seen. */
  readonly lastEventId?: number;
  /** Pause before reconnecting: doubles from min to max while the app stays away. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

/** The app answered, but refuses the stream: a bad filter (400), or no such endpoint (404). */
export class EventStreamRefused extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EventStreamRefused';
  }
}

/** Until the first heartbeat interval is known: the apps' default, 15 s, twice over. */
const FIRST_SILENCE_MS = 30_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Why a connection failed, in a few words. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ECONNRESET') return 'connection reset';
  return cause?.message ?? (error as Error).message;
}

async function refusal(url: string, response: Response): Promise<EventStreamRefused> {
  const text = await response.text().catch(() => '');
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // not JSON: the text as it is
  }
  return new EventStreamRefused(
    url,
    response.status,
    `${url} answered HTTP ${response.status}: ${message}`,
  );
}

/**
 * Follows an app's `GET /events` stream at `url` (filters in its query) until `signal` aborts or
 * a handler returns false. When the stream is lost — the app restarts, or nothing (not even a
 * heartbeat) arrives for twice the heartbeat interval — it reconnects with backoff and resumes
 * after the last event it saw (`Last-Event-ID`), however long the app stays away. Rejects with
 * `EventStreamRefused` when the app answers 4xx (a bad filter says why). The SSE parsing is
 * eventsource-parser's; the connection policy is this function's.
 */
export async function followEvents(
  url: string,
  handlers: EventHandlers,
  options: FollowOptions = {},
): Promise<void> {
  const { signal } = options;
  const minMs = options.reconnectMinMs ?? 250;
  const maxMs = options.reconnectMaxMs ?? 5000;
  let lastEventId = options.lastEventId;
  /** The run of the app the last event came from (told by each `connected` notice). */
  let run: string | undefined;
  let stopped = false;
  let attempt = 0;
  const over = () => stopped || signal?.aborted === true;
  while (!over()) {
    const connection = new AbortController();
    const abort = () => connection.abort();
    signal?.addEventListener('abort', abort, { once: true });
    let silenceMs = FIRST_SILENCE_MS;
    let watchdog: NodeJS.Timeout | undefined;
    let silent = false;
    const watch = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        silent = true;
        connection.abort();
      }, silenceMs);
    };
    let reason: string;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
      if (lastEventId !== undefined && run !== undefined) headers['last-event-run'] = run;
      watch();
      const response = await fetch(url, { headers, signal: connection.signal });
      if (response.status >= 400 && response.status < 500) throw await refusal(url, response);
      if (response.status !== 200 || response.body === null) {
        reason = `HTTP ${response.status}`;
      } else {
        const parser = createParser({
          onEvent: (message) => {
            if (stopped) return;
            if (message.event === 'connected') {
              const notice = JSON.parse(message.data) as StreamConnected;
              run = notice.run;
              attempt = 0;
              silenceMs = 2 * notice.heartbeatMs + 1000;
              watch();
              handlers.connected?.(notice);
            } else if (message.event === 'dropped') {
              handlers.dropped?.(JSON.parse(message.data) as StreamDropped);
            } else if (message.event === undefined || message.event === 'message') {
              const seq = Number(message.id);
              lastEventId = seq;
              if (handlers.event(message.data, seq) === false) {
                stopped = true;
                connection.abort();
              }
            }
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          watch();
          parser.feed(decoder.decode(chunk, { stream: true }));
          handlers.flush?.();
          if (stopped) break;
        }
        reason = 'the stream ended';
      }
    } catch (error) {
      if (error instanceof EventStreamRefused) throw error;
      reason = silent ? `nothing heard for ${silenceMs / 1000} s` : describe(error);
    } finally {
      clearTimeout(watchdog);
      signal?.removeEventListener('abort', abort);
      connection.abort();
    }
    if (over()) break;
    const retryMs = Math.min(maxMs, minMs * 2 ** attempt++);
    handlers.disconnected?.(reason, retryMs);
    await sleep(retryMs, signal);
  }
}
