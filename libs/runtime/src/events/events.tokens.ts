/** Token of the app's `EventLog` (from `@semicache/events`). */
export const EVENT_LOG = Symbol('EVENT_LOG');
/** Token of the `EventsModuleOptions` the app started with. */
export const EVENTS_OPTIONS = Symbol('EVENTS_OPTIONS');
