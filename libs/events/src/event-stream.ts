import type { EventLog } from './event-log';
import { type EventFilter, matchesFilter } from './event-filter';

/** Where an SSE stream is written: an HTTP response (`write` returns false once it buffers). */
export interface EventSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * Most text one subscriber's write takes at a time. A subscriber holds at most this (plus what
 * the socket and the kernel buffer) of its own: the events it has not been sent wait in the
 * shared ring, and those the ring drops before it can take them become one `dropped` notice.
 */
export const MAX_CHUNK_LENGTH = 64 * 1024;

/** How long an EventSource client waits before it reconnects (the stream's `retry:`). */
export const RECONNECT_MS = 1000;

/** The first notice of a stream: which app, how often it sends a heartbeat, where the log is. */
export function connectedFrame(log: EventLog, heartbeatMs: number): string {
  const data = {
    app: log.app,
    run: log.run,
    heartbeatMs,
    nextSeq: log.nextSeq,
    oldestSeq: log.oldestSeq,
    capacity: log.capacity,
  };
  return `retry: ${RECONNECT_MS}\nevent: connected\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: EventSource ignores it, but a reader sees the connection is alive. */
export const HEARTBEAT_FRAME = ': heartbeat\n\n';

function droppedFrame(firstSeq: number, lastSeq: number): string {
  const count = lastSeq - firstSeq + 1;
  return `event: dropped\ndata: {"count":${count},"firstSeq":${firstSeq},"lastSeq":${lastSeq}}\n\n`;
}

/**
 * The seq a stream starts from. Without `Last-Event-ID`, only new events. With it, the event
 * after that one: from the ring when it still holds it; when it no longer does, the stream starts
 * with a `dropped` notice for those gone. An id seen in an earlier run of the app (seqs start at
 * 1 again) is not this run's: `Last-Event-Run` names the run the id was seen in, and without it
 * an id this run has not reached yet tells the same. Then the stream starts from this run's
 * first event.
 */
export function resumeSeq(
  log: EventLog,
  lastEventId: string | undefined,
  lastEventRun?: string,
): number {
  if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId.trim())) return log.nextSeq;
  const wanted = Number(lastEventId) + 1;
  const earlierRun = lastEventRun === undefined ? wanted > log.nextSeq : lastEventRun !== log.run;
  return earlierRun ? 1 : wanted;
}

/**
 * One SSE subscriber: a cursor into the log. Each time new events are committed (and when the
 * socket drains) it writes the matching events from its cursor on, up to MAX_CHUNK_LENGTH per
 * write, and stops while the socket buffers; nothing it does reaches the request path. When the
 * ring has moved past its cursor, it writes one `dropped` notice with the count of events lost
 * (before any filter: they are gone) and goes on from the oldest held.
 */
export class EventSubscriber {
  private cursor: number;
  private waiting = false;
  private closed = false;

  constructor(
    private readonly log: EventLog,
    private readonly sink: EventSink,
    private readonly filter: EventFilter,
    firstSeq: number,
    /** Told of every gap, for the dropped-events metric. */
    private readonly onDropped: (count: number) => void = () => undefined,
  ) {
    this.cursor = firstSeq;
  }

  /** Writes the `connected` notice, then what the log already holds from the cursor on. */
  open(heartbeatMs: number): void {
    this.write(connectedFrame(this.log, heartbeatMs));
    this.pump();
  }

  /** Sends what it can now; called after every commit turn and every drain. */
  pump(): void {
    const log = this.log;
    while (!this.waiting && !this.closed && this.cursor < log.nextSeq) {
      let chunk = '';
      const oldest = log.oldestSeq;
      if (this.cursor < oldest) {
        chunk += droppedFrame(this.cursor, oldest - 1);
        this.onDropped(oldest - this.cursor);
        this.cursor = oldest;
      }
      while (this.cursor < log.nextSeq && chunk.length < MAX_CHUNK_LENGTH) {
        const seq = this.cursor++;
        if (matchesFilter(this.filter, log.at(seq)))
          chunk += `id: ${seq}\ndata: ${log.json(seq)}\n\n`;
      }
      if (chunk.length > 0) this.write(chunk);
    }
  }

  /** A comment now and then, unless the socket is still full (then it is not dead yet). */
  heartbeat(): void {
    if (!this.waiting && !this.closed) this.write(HEARTBEAT_FRAME);
  }

  close(): void {
    this.closed = true;
  }

  private write(chunk: string): void {
    if (this.sink.write(chunk)) return;
    this.waiting = true;
    this.sink.once('drain', () => {
      this.waiting = false;
      this.pump();
    });
  }
}

/** The last `limit` held events that match `filter`, oldest first, as a JSON array's text. */
export function recentEventsJson(log: EventLog, limit: number, filter: EventFilter): string {
  const texts: string[] = [];
  for (let seq = log.nextSeq - 1; seq >= log.oldestSeq && texts.length < limit; seq--) {
    if (matchesFilter(filter, log.at(seq))) texts.push(log.json(seq));
  }
  return `[${texts.reverse().join(',')}]`;
}
