import { type DynamicModule, Module } from '@nestjs/common';
import { EventLog, type EventLogOptions } from '@semicache/events';
import { EventStreams } from './event-streams';
import { EventsController } from './events.controller';
import { EVENTS_OPTIONS, EVENT_LOG } from './events.tokens';

export interface EventsModuleOptions extends EventLogOptions {
  /** How often each open stream gets a heartbeat comment. */
  readonly heartbeatMs: number;
}

/** The app's event log (`EVENT_LOG`), its `/events` endpoints and their metrics. */
@Module({})
export class EventsModule {
  static forRoot(options: EventsModuleOptions): DynamicModule {
    return {
      module: EventsModule,
      global: true,
      controllers: [EventsController],
      providers: [
        { provide: EVENT_LOG, useValue: new EventLog(options) },
        { provide: EVENTS_OPTIONS, useValue: options },
        EventStreams,
      ],
      exports: [EVENT_LOG],
    };
  }
}
