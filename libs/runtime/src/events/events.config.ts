import { z } from 'zod';
import { type OptionSpec, nonNegativeInt, positiveInt } from '../options';

/** The event stream's settings, shared by the server and the proxy. */
export const eventsSchema = z.object({
  // About 2.4 KB each, allocated at start.
  eventBuffer: positiveInt.max(100_000),
  eventHeartbeatMs: positiveInt,
  slowMs: nonNegativeInt,
});
export type EventsConfig = z.infer<typeof eventsSchema>;

/** `--event-buffer`, `--event-heartbeat-ms`, `--slow-ms`; `prefix` names the environment variables. */
export function eventOptions(prefix: string): OptionSpec[] {
  return [
    {
      flags: '--event-buffer <n>',
      description:
        'decision events kept for /events/recent and for subscribers to resume from (at most 100000; about 2.4 KB each)',
      env: `${prefix}_EVENT_BUFFER`,
      default: '1000',
    },
    {
      flags: '--event-heartbeat-ms <ms>',
      description: 'a heartbeat comment on every /events stream this often',
      env: `${prefix}_EVENT_HEARTBEAT_MS`,
      default: '15000',
    },
    {
      flags: '--slow-ms <ms>',
      description: 'a request that takes longer than this gets one warning line',
      env: `${prefix}_SLOW_MS`,
      default: '100',
    },
  ];
}
