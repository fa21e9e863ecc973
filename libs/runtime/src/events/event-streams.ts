import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { type EventFilter, type EventLog, EventSubscriber, resumeSeq } from '@semicache/events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../metrics.tokens';
import type { EventsModuleOptions } from './events.module';
import { EVENTS_OPTIONS, EVENT_LOG } from './events.tokens';

/**
 * The app's open `/events` streams: each an `EventSubscriber` on the raw HTTP response (Fastify
 * is told to leave it alone), fed from the log every 10 ms while events come, with a heartbeat comment every
 * `heartbeatMs` while any is open. Streams end when the app shuts down, so that closing the HTTP
 * server does not wait for them.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly open = new Map<EventSubscriber, ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly dropped: Counter;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(EVENTS_OPTIONS) private readonly options: EventsModuleOptions,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const open = this.open;
    new Gauge({
      name: 'semicache_event_subscribers',
      help: 'Clients following GET /events now.',
      registers: [registry],
      collect() {
        this.set(open.size);
      },
    });
    this.dropped = new Counter({
      name: 'semicache_events_dropped_total',
      help: 'Events that /events subscribers missed because they read more slowly than events came (each subscriber counts its own).',
      registers: [registry],
    });
  }

  /** Answers `request` with a stream of the events that match `filter` (see docs/observability.md). */
  follow(request: FastifyRequest, reply: FastifyReply, filter: EventFilter): void {
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // A reverse proxy (nginx) would otherwise hold events back in its buffer.
      'x-accel-buffering': 'no',
    });
    response.socket?.setNoDelay(true);
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const subscriber = new EventSubscriber(
      this.log,
      response,
      filter,
      resumeSeq(this.log, header('last-event-id'), header('last-event-run')),
      (count) => this.dropped.inc(count),
    );
    const unsubscribe = this.log.subscribe(() => subscriber.pump());
    this.open.set(subscriber, response);
    response.once('close', () => {
      subscriber.close();
      unsubscribe();
      this.open.delete(subscriber);
      if (this.open.size === 0) this.stopHeartbeat();
    });
    this.startHeartbeat();
    subscriber.open(this.options.heartbeatMs);
  }

  /** Ends every stream, after sending what it has not been sent yet. */
  beforeApplicationShutdown(): void {
    this.stopHeartbeat();
    for (const [subscriber, response] of this.open) {
      subscriber.pump();
      response.end();
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(() => {
      for (const subscriber of this.open.keys()) subscriber.heartbeat();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
