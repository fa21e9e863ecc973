import { BadRequestException, Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import {
  type EventFilter,
  EventFilterError,
  type EventLog,
  parseEventFilter,
  recentEventsJson,
} from '@semicache/events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { queryLimit } from '../query-limit';
import { EventStreams } from './event-streams';
import { EVENT_LOG } from './events.tokens';

type Query = Record<string, string | string[] | undefined>;

/** How many events `/events/recent` gives without `?limit=`. */
export const DEFAULT_RECENT_LIMIT = 100;

function filterOf(query: Query): EventFilter {
  try {
    return parseEventFilter(query);
  } catch (error) {
    if (error instanceof EventFilterError) {
      throw new BadRequestException({ error: 'BAD_FILTER', message: error.message });
    }
    throw error;
  }
}

/** Every decision, live (`GET /events`, Server-Sent Events) and recent (`GET /events/recent`). */
@Controller('events')
export class EventsController {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    private readonly streams: EventStreams,
  ) {}

  @Get()
  follow(@Query() query: Query, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.streams.follow(request, reply, filterOf(query));
  }

  /** The last `limit` events (default 100, at most what the ring holds) that match the filters. */
  @Get('recent')
  recent(@Query() query: Query, @Res({ passthrough: true }) reply: FastifyReply): string {
    const filter = filterOf(query);
    const limit = queryLimit(query.limit, DEFAULT_RECENT_LIMIT);
    const { log } = this;
    reply.header('content-type', 'application/json; charset=utf-8');
    return (
      `{"app":"${log.app}","nextSeq":${log.nextSeq},"oldestSeq":${log.oldestSeq},` +
      `"events":${recentEventsJson(log, limit, filter)}}`
    );
  }
}
