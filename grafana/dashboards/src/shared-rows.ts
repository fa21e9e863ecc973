// Panels both dashboards show, each for its own Prometheus job: the protocol listener's
// requests, latency, connections and errors, and the process's CPU and memory.
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelIds, quantileByOp, rate, row, timeseriesPanel } from './common';

/** Latency percentiles shown, with their legend names. */
export const QUANTILES = [
  { quantile: 0.5, name: 'p50' },
  { quantile: 0.9, name: 'p90' },
  { quantile: 0.99, name: 'p99' },
] as const;

/** Request rate by op and outcome, and latency percentiles by op, from the transport metrics. */
export function requestPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
  who: string,
): DashboardBuilder {
  const selector = `job="${job}"`;
  return builder
    .withRow(row(ids, `Requests (${who})`))
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Request rate by op and outcome',
        description: `Protocol requests ${who} answered per second, by OP and outcome (ok or error).`,
        unit: 'reqps',
        width: 12,
        min: 0,
        queries: [
          {
            expr: `sum by (op, outcome) (${rate('semicache_requests_total', selector)})`,
            legend: '{{op}} {{outcome}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Request latency by op (p50, p90, p99)',
        description: `From a request being framed to its reply being ready, ${who}; percentiles of semicache_request_duration_seconds.`,
        unit: 's',
        width: 12,
        min: 0,
        queries: QUANTILES.map(({ quantile, name }) => ({
          expr: quantileByOp(quantile, 'semicache_request_duration_seconds', selector),
          legend: `${name} {{op}}`,
        })),
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
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
      }),
    );
}

/** Open connections, connections accepted, and error replies by code. */
export function connectionPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
): DashboardBuilder {
  const selector = `job="${job}"`;
  return builder
    .withRow(row(ids, 'Connections and errors'))
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Open connections',
        description: 'Protocol connections open now.',
        unit: 'short',
        width: 8,
        min: 0,
        decimals: 0,
        queries: [{ expr: `sum(semicache_connections_open{${selector}})`, legend: 'open' }],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
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
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
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
      }),
    );
}

/** CPU and memory from prom-client's default process metrics. */
export function processPanels(
  builder: DashboardBuilder,
  ids: PanelIds,
  job: string,
): DashboardBuilder {
  const selector = `job="${job}"`;
  return builder
    .withRow(row(ids, 'Process'))
    .withPanel(
      timeseriesPanel(ids, {
        title: 'CPU',
        description: 'CPU time used per second (user and system); 100% is one core.',
        unit: 'percentunit',
        width: 12,
        min: 0,
        queries: [{ expr: `sum(${rate('process_cpu_seconds_total', selector)})`, legend: 'cpu' }],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Memory',
        description: 'Resident set size of the process, and the V8 heap in use.',
        unit: 'bytes',
        width: 12,
        min: 0,
        queries: [
          { expr: `sum(process_resident_memory_bytes{${selector}})`, legend: 'resident' },
          { expr: `sum(nodejs_heap_size_used_bytes{${selector}})`, legend: 'heap used' },
        ],
      }),
    );
}
