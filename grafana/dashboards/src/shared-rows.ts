// Panels both dashboards show, each for its own Prometheus job: the protocol listener's
// requests, latency (by op, and by where the answer came from), connections and errors, the
// event stream's subscribers, and the process's CPU and memory.
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelIds, jobSelector, latencyQueries, quantileBy, rate, timeseriesRow } from './common';

/**
 * Request rate by op and outcome, and latency percentiles by op and by source, from the transport
 * metrics. `sources` says, for the description, what the `source` label tells on this job.
 */
export function requestPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
  who: string,
  sources: string,
): DashboardBuilder {
  const selector = jobSelector(job);
  return timeseriesRow(builder, ids, `Requests (${who})`, [
    {
      title: 'Request rate by op and outcome',
      description: `Protocol requests ${who} answered per second, by OP and outcome (ok or error).`,
      unit: 'reqps',
      width: 8,
      min: 0,
      queries: [
        {
          expr: `sum by (op, outcome) (${rate('semicache_requests_total', selector)})`,
          legend: '{{op}} {{outcome}}',
        },
      ],
    },
    {
      title: 'Request latency by op (p50, p90, p99)',
      description: `From a request being framed to its reply being ready, ${who}; percentiles of semicache_request_duration_seconds.`,
      unit: 's',
      width: 8,
      min: 0,
      queries: latencyQueries('semicache_request_duration_seconds', selector),
    },
    {
      title: 'Request latency by source (p50, p99)',
      description: `Latency by where the answer came from: ${sources}. Percentiles of semicache_request_duration_seconds by its source label (errors left out).`,
      unit: 's',
      width: 8,
      min: 0,
      queries: [0.5, 0.99].map((quantile) => ({
        expr: quantileBy(
          'source',
          quantile,
          'semicache_request_duration_seconds',
          `${selector}, source!="error"`,
        ),
        legend: `p${quantile * 100} {{source}}`,
      })),
    },
    {
      title: 'Request rate by instance',
      description: `Protocol requests ${who} answered per second, by instance: with several (npm run cluster), how the load spreads over them. The panels above add them all up.`,
      unit: 'reqps',
      width: 24,
      min: 0,
      queries: [
        {
          expr: `sum by (instance) (${rate('semicache_requests_total', selector)})`,
          legend: '{{instance}}',
        },
      ],
    },
  ]);
}

/** Open connections, connections accepted, and error replies by code. */
export function connectionPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
): DashboardBuilder {
  const selector = jobSelector(job);
  return timeseriesRow(builder, ids, 'Connections and errors', [
    {
      title: 'Open connections',
      description: 'Protocol connections open now.',
      unit: 'short',
      width: 8,
      min: 0,
      decimals: 0,
      queries: [{ expr: `sum(semicache_connections_open{${selector}})`, legend: 'open' }],
    },
    {
      title: 'Connections accepted',
      description: 'New protocol connections per second.',
      unit: 'cps',
      width: 8,
      min: 0,
      queries: [
        {
          expr: `sum(${rate('semicache_connections_accepted_total', selector)})`,
          legend: 'accepted',
        },
      ],
    },
    {
      title: 'Protocol errors by code',
      description:
        'Error replies sent per second, by error CODE (BAD_SYNTAX, BAD_INDEX, UPSTREAM_TIMEOUT...).',
      unit: 'cps',
      width: 8,
      min: 0,
      queries: [
        {
          expr: `sum by (code) (${rate('semicache_protocol_errors_total', selector)})`,
          legend: '{{code}}',
        },
      ],
    },
  ]);
}

/** Clients following GET /events, and the events they missed for reading too slowly. */
export function eventPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
): DashboardBuilder {
  const selector = jobSelector(job);
  return timeseriesRow(builder, ids, 'Event stream (GET /events)', [
    {
      title: 'Event subscribers',
      description: 'Clients following GET /events now (semicache watch, trace record, a page).',
      unit: 'short',
      width: 12,
      min: 0,
      decimals: 0,
      queries: [{ expr: `sum(semicache_event_subscribers{${selector}})`, legend: 'subscribers' }],
    },
    {
      title: 'Events dropped for slow subscribers',
      description:
        'Events per second that /events subscribers missed because they read more slowly than events came (each gets one dropped notice per gap).',
      unit: 'ops',
      width: 12,
      min: 0,
      queries: [
        { expr: `sum(${rate('semicache_events_dropped_total', selector)})`, legend: 'dropped' },
      ],
    },
  ]);
}

/** CPU and memory from prom-client's default process metrics. */
export function processPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
): DashboardBuilder {
  const selector = jobSelector(job);
  return timeseriesRow(builder, ids, 'Process', [
    {
      title: 'CPU',
      description: 'CPU time used per second (user and system); 100% is one core.',
      unit: 'percentunit',
      width: 12,
      min: 0,
      queries: [{ expr: `sum(${rate('process_cpu_seconds_total', selector)})`, legend: 'cpu' }],
    },
    {
      title: 'Memory',
      description: 'Resident set size of the process, and the V8 heap in use.',
      unit: 'bytes',
      width: 12,
      min: 0,
      queries: [
        { expr: `sum(process_resident_memory_bytes{${selector}})`, legend: 'resident' },
        { expr: `sum(nodejs_heap_size_used_bytes{${selector}})`, legend: 'heap used' },
      ],
    },
  ]);
}
