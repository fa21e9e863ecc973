import {
  type DecisionEvent,
  type FollowOptions,
  type StreamConnected,
  type StreamDropped,
  followEvents,
} from '@semicache/client';
import { waitFor } from './processes';

const open = new Set<EventCollector>();

/**
 * A real SSE client of an app's `/events` (the client library's `followEvents`) that keeps
 * everything it hears, for the test to wait on.
 */
export class EventCollector {
  readonly events: DecisionEvent[] = [];
  readonly dropped: StreamDropped[] = [];
  readonly connected: StreamConnected[] = [];
  readonly disconnected: string[] = [];
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;
  private failure: Error | undefined;

  private constructor(url: string, options: FollowOptions) {
    this.done = followEvents(
      url,
      {
        event: (json) => void this.events.push(JSON.parse(json) as DecisionEvent),
        dropped: (notice) => void this.dropped.push(notice),
        connected: (notice) => void this.connected.push(notice),
        disconnected: (reason) => void this.disconnected.push(reason),
      },
      { ...options, signal: this.stop.signal, reconnectMinMs: 50, reconnectMaxMs: 200 },
    ).catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  /** Follows `url` (an app's `/events`, with filters); resolves once the stream is open. */
  static async follow(url: string, options: FollowOptions = {}): Promise<EventCollector> {
    const collector = new EventCollector(url, options);
    open.add(collector);
    await waitFor(`the stream of ${url} to open`, () => {
      if (collector.failure !== undefined) throw collector.failure;
      return collector.connected.length > 0 ? true : undefined;
    });
    return collector;
  }

  /** Waits until `count` events have come, and returns the first `count`. */
  async take(count: number, timeoutMs = 10_000): Promise<DecisionEvent[]> {
    await waitFor(
      `${count} events (have ${this.events.length})`,
      () => {
        if (this.failure !== undefined) throw this.failure;
        return this.events.length >= count ? true : undefined;
      },
      timeoutMs,
    );
    return this.events.slice(0, count);
  }

  close(): Promise<void> {
    this.stop.abort();
    open.delete(this);
    return this.done;
  }
}

/** Closes every collector this test file opened (for afterEach/afterAll). */
export async function closeAllCollectors(): Promise<void> {
  await Promise.all([...open].map((collector) => collector.close()));
}

/** Each decision as a short string (`miss 7`, `evicted 0 oldest`, `cleared 5`), for comparing. */
export function decisionWords(event: DecisionEvent): string[] {
  return event.decisions.map((decision) => {
    switch (decision.kind) {
      case 'evicted':
        return `evicted ${decision.index} ${decision.reason}`;
      case 'cleared':
        return `cleared ${decision.entries}`;
      case 'stored':
      case 'skipped':
      case 'written':
      case 'read':
        return `${decision.kind} ${decision.index}=${decision.value}`;
      default:
        return `${decision.kind} ${decision.index}`;
    }
  });
}
