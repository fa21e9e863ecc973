// The "Cache" dashboard: the proxy seen from its clients and from the server it caches.
import { MappingType, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  PROXY_JOB,
  PanelIds,
  barGaugePanel,
  dashboard,
  jobSelector,
  latencyQueries,
  quantileBy,
  rate,
  row,
  statPanel,
  timeseriesPanel,
  timeseriesRow,
  trendPanel,
} from './common';
import { connectionPanels, eventPanels, processPanels, requestPanels } from './shared-rows';

const PROXY = jobSelector(PROXY_JOB);
const HITS = 'semicache_cache_hits_total';
const MISSES = 'semicache_cache_misses_total';

/** Hits over lookups (hits + misses) in each rate window. */
export const HIT_RATIO_EXPR =
  `sum(${rate(HITS, PROXY)}) / ` + `(sum(${rate(HITS, PROXY)}) + sum(${rate(MISSES, PROXY)}))`;

/** Hits over lookups since each proxy started (the /stats hit ratio, summed over proxies). */
export const HIT_RATIO_SINCE_START_EXPR =
  `sum(${HITS}{${PROXY}}) / ` + `(sum(${HITS}{${PROXY}}) + sum(${MISSES}{${PROXY}}))`;

const SHADOW_HIT_RATIO = 'semicache_shadow_hit_ratio';

/**
 * Each policy's shadow at the live capacity: the shadows' hit ratios joined on the capacity
 * label of the cache's info series (averaged over the proxies).
 */
export const LIVE_CAPACITY_SHADOWS_EXPR =
  `avg by (policy) (${SHADOW_HIT_RATIO}{${PROXY}} * on (job, instance, capacity) group_left () ` +
  `semicache_cache_policy_info{${PROXY}})`;

/** The miss ratio of every policy at every exported capacity (averaged over the proxies). */
export const MISS_RATIO_CURVE_EXPR = `1 - avg by (policy, capacity) (${SHADOW_HIT_RATIO}{${PROXY}})`;

/** Indices shown in the heat panels (Prometheus has series for the --heat-series hottest). */
const HOTTEST = 10;

/** `sum by (index) (rate(semicache_index_<what>_total))`: one series per index. */
const perIndex = (what: string) =>
  `sum by (index) (${rate(`semicache_index_${what}_total`, PROXY)})`;

const EVICTED_AGE = 'semicache_cache_evicted_age_seconds';

const RATIO_THRESHOLDS = [
  { value: null, color: 'red' },
  { value: 0.5, color: 'yellow' },
  { value: 0.8, color: 'green' },
];

export function cacheDashboard(): Dashboard {
  const ids = new PanelIds();
  const upstreamRequests = 'semicache_upstream_requests_total';
  let builder = dashboard(
    'semicache-cache',
    'semicache / Cache',
    "The semicache proxy: cache effectiveness, its clients' requests, and its requests to the server.",
  )
    .withRow(row(ids, 'Cache'))
    .withPanel(
      statPanel(ids, {
        title: 'Hit ratio (since start)',
        description:
          'Cache hits over lookups since the proxy started; each index of a GET or ADD is one lookup.',
        unit: 'percentunit',
        width: 4,
        height: 8,
        min: 0,
        max: 1,
        decimals: 1,
        thresholds: RATIO_THRESHOLDS,
        queries: [{ expr: HIT_RATIO_SINCE_START_EXPR, legend: 'hit ratio' }],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Hit ratio',
        description: 'Cache hits over lookups (hits + misses), over each rate window.',
        unit: 'percentunit',
        width: 6,
        min: 0,
        max: 1,
        queries: [{ expr: HIT_RATIO_EXPR, legend: 'hit ratio' }],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Hits and misses',
        description:
          'Indices found in the cache (hits) and fetched from the server (misses), per second.',
        unit: 'ops',
        width: 5,
        min: 0,
        queries: [
          { expr: `sum(${rate(HITS, PROXY)})`, legend: 'hits' },
          { expr: `sum(${rate(MISSES, PROXY)})`, legend: 'misses' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Evictions',
        description:
          'Entries dropped per second to make room for a new one (FIFO: the oldest stored; LRU: the least recently used).',
        unit: 'ops',
        width: 4,
        min: 0,
        queries: [
          { expr: `sum(${rate('semicache_cache_evictions_total', PROXY)})`, legend: 'evictions' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Cached entries',
        description: 'Entries in the cache now, and how many it can hold.',
        unit: 'short',
        width: 5,
        min: 0,
        decimals: 0,
        queries: [
          { expr: `sum(semicache_cache_entries{${PROXY}})`, legend: 'entries' },
          { expr: `sum(semicache_cache_capacity{${PROXY}})`, legend: 'capacity' },
        ],
      }),
    );

  builder = builder
    .withRow(row(ids, 'What if'))
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Hit ratio per policy at the live capacity',
        description:
          "What each policy would have hit at the live cache's capacity on the same traffic (its shadow cache, since the shadows started), beside the live cache; with --shadows off there is no data.",
        unit: 'percentunit',
        width: 12,
        min: 0,
        max: 1,
        queries: [
          { expr: LIVE_CAPACITY_SHADOWS_EXPR, legend: '{{policy}}' },
          { expr: HIT_RATIO_SINCE_START_EXPR, legend: 'live cache (since start)' },
        ],
      }),
    )
    .withPanel(
      trendPanel(ids, {
        title: 'Miss-ratio curve per policy',
        description:
          'Misses over lookups of each policy against the capacity (1..16, or up to --shadow-max-capacity), on the live traffic; OPT, which needs the future, is in GET /policies and `semicache policies`.',
        unit: 'percentunit',
        width: 12,
        min: 0,
        max: 1,
        matrix: { rows: 'capacity', columns: 'policy' },
        queries: [{ expr: MISS_RATIO_CURVE_EXPR, legend: '{{policy}}', table: true }],
      }),
    );

  builder = builder
    .withRow(row(ids, 'Heat and evictions'))
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Hottest indices: lookups',
        description: `Lookups per second of the ${HOTTEST} indices looked up most (of the --heat-series hottest the proxy exports).`,
        unit: 'ops',
        width: 8,
        min: 0,
        queries: [{ expr: `topk(${HOTTEST}, ${perIndex('lookups')})`, legend: 'index {{index}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Hottest indices: hit ratio',
        description: 'Hits over lookups of each of the hottest indices, over each rate window.',
        unit: 'percentunit',
        width: 8,
        min: 0,
        max: 1,
        queries: [
          {
            expr: `${perIndex('hits')} / ${perIndex('lookups')}`,
            legend: 'index {{index}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Hottest indices: misses, writes and evictions',
        description: `Per second, for the ${HOTTEST} indices with the most of each among the hottest.`,
        unit: 'ops',
        width: 8,
        min: 0,
        queries: [
          { expr: `topk(${HOTTEST}, ${perIndex('misses')})`, legend: 'misses {{index}}' },
          { expr: `topk(${HOTTEST}, ${perIndex('writes')})`, legend: 'writes {{index}}' },
          { expr: `topk(${HOTTEST}, ${perIndex('evictions')})`, legend: 'evictions {{index}}' },
        ],
      }),
    )
    .withPanel(
      barGaugePanel(ids, {
        title: 'Evictions by entry age',
        description:
          'Entries evicted over the time shown, by how long they had been cached (since stored or last written): a histogram of evicted ages.',
        unit: 'short',
        width: 12,
        min: 0,
        decimals: 0,
        queries: [
          {
            expr: `sum by (le) (increase(${EVICTED_AGE}_bucket{${PROXY}}[$__range]))`,
            legend: '≤ {{le}} s',
            instant: true,
            heatmap: true,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Age of evicted entries (p50, p90)',
        description:
          'How long evicted entries had been cached: short ages mean the cache is too small for the traffic.',
        unit: 's',
        width: 12,
        min: 0,
        queries: [0.5, 0.9].map((quantile) => ({
          expr: quantileBy('job', quantile, EVICTED_AGE, PROXY),
          legend: `p${quantile * 100}`,
        })),
      }),
    );

  builder = requestPanels(
    builder,
    ids,
    PROXY_JOB,
    'from clients to the proxy',
    'cache (every index a hit) or upstream (a fetch or a write went to the server)',
  );

  builder = builder
    .withRow(row(ids, 'Upstream (proxy to server)'))
    .withPanel(
      statPanel(ids, {
        title: 'Upstream',
        description:
          'Whether the proxy holds a connection to the server (it reconnects by itself with backoff).',
        unit: 'none',
        width: 4,
        height: 8,
        thresholds: [
          { value: null, color: 'red' },
          { value: 1, color: 'green' },
        ],
        mappings: [
          {
            type: MappingType.ValueToText,
            options: {
              '0': { text: 'down', color: 'red', index: 0 },
              '1': { text: 'up', color: 'green', index: 1 },
            },
          },
        ],
        queries: [{ expr: `min(semicache_upstream_up{${PROXY}})`, legend: 'upstream' }],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Upstream request rate by op and outcome',
        description:
          'Requests the proxy sent to the server per second, by OP and outcome (ok, error, timeout, unavailable).',
        unit: 'reqps',
        width: 10,
        min: 0,
        queries: [
          {
            expr: `sum by (op, outcome) (${rate(upstreamRequests, PROXY)})`,
            legend: '{{op}} {{outcome}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Upstream latency by op (p50, p99)',
        description:
          'Round trip of requests to the server; percentiles of semicache_upstream_request_duration_seconds.',
        unit: 's',
        width: 10,
        min: 0,
        queries: latencyQueries('semicache_upstream_request_duration_seconds', PROXY, [0.5, 0.99]),
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Upstream errors',
        description:
          'Upstream requests per second that did not succeed: error replies from the server, timeouts, and requests made while it was unreachable.',
        unit: 'reqps',
        width: 12,
        min: 0,
        queries: [
          {
            expr: `sum by (op, outcome) (${rate(upstreamRequests, `${PROXY}, outcome!="ok"`)})`,
            legend: '{{op}} {{outcome}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ids, {
        title: 'Upstream connections made',
        description:
          'Connections the proxy made to the server since it started: the first one and every reconnection.',
        unit: 'short',
        width: 12,
        min: 0,
        decimals: 0,
        queries: [{ expr: `sum(semicache_upstream_connects_total{${PROXY}})`, legend: 'connects' }],
      }),
    );

  builder = timeseriesRow(builder, ids, 'Several proxies (--invalidation)', [
    {
      title: 'Invalidation lag (p50, p99)',
      description:
        'From a write acknowledged at the server (through any proxy) to its invalidation applied by a proxy: how long another proxy may still serve the old value. Percentiles of semicache_invalidation_lag_seconds over every proxy.',
      unit: 's',
      width: 6,
      min: 0,
      queries: [0.5, 0.99].map((quantile) => ({
        expr: `histogram_quantile(${quantile}, sum by (le) (${rate('semicache_invalidation_lag_seconds_bucket', PROXY)}))`,
        legend: `p${quantile * 100}`,
      })),
    },
    {
      title: 'Invalidations applied',
      description:
        'Invalidations each proxy applies per second (every write through any proxy reaches every proxy), by OP.',
      unit: 'ops',
      width: 6,
      min: 0,
      queries: [
        {
          expr: `sum by (instance, op) (${rate('semicache_invalidations_total', PROXY)})`,
          legend: '{{instance}} {{op}}',
        },
      ],
    },
    {
      title: 'Subscribed to invalidations',
      description:
        '1 while a proxy receives invalidations and so uses its cache; 0 while its subscription is down (every read goes to the server, the cache is emptied).',
      unit: 'short',
      width: 6,
      min: 0,
      max: 1,
      decimals: 0,
      queries: [{ expr: `semicache_invalidation_subscribed{${PROXY}}`, legend: '{{instance}}' }],
    },
    {
      title: 'Hit ratio by proxy',
      description: 'Cache hits over lookups of each proxy, over each rate window.',
      unit: 'percentunit',
      width: 6,
      min: 0,
      max: 1,
      queries: [
        {
          expr:
            `sum by (instance) (${rate(HITS, PROXY)}) / ` +
            `(sum by (instance) (${rate(HITS, PROXY)}) + sum by (instance) (${rate(MISSES, PROXY)}))`,
          legend: '{{instance}}',
        },
      ],
    },
  ]);
  builder = connectionPanels(builder, ids, PROXY_JOB);
  builder = eventPanels(builder, ids, PROXY_JOB);
  builder = processPanels(builder, ids, PROXY_JOB);
  return builder.build();
}
