// Shared pieces of the semicache dashboards: the provisioned datasource, PromQL helpers and
// panel builders with the options every panel here uses. Pure: building a dashboard does no I/O.
import {
  BarGaugeDisplayMode,
  BigValueColorMode,
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VisibilityMode,
  VizTooltipOptionsBuilder,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Threshold,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as trend from '@grafana/grafana-foundation-sdk/trend';

/** The datasource uid set in grafana/provisioning/datasources/prometheus.yaml. */
export const DATASOURCE_UID = 'semicache-prometheus';
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };

/** Prometheus job names, as in grafana/prometheus.yml. */
export const PROXY_JOB = 'semicache-proxy';
export const SERVER_JOB = 'semicache-server';

/** Grafana's rate window: at least four scrape intervals (set by the datasource's timeInterval). */
export const RATE_INTERVAL = '$__rate_interval';

/** `rate(metric{selector}[$__rate_interval])`. */
export function rate(metric: string, selector: string): string {
  return `rate(${metric}{${selector}}[${RATE_INTERVAL}])`;
}

/** The label selector of one Prometheus job. */
export function jobSelector(job: string): string {
  return `job="${job}"`;
}

/** The `quantile` latency from histogram `metric` (without `_bucket`), one series per `label`. */
export function quantileBy(
  label: string,
  quantile: number,
  metric: string,
  selector: string,
): string {
  return `histogram_quantile(${quantile}, sum by (le, ${label}) (${rate(`${metric}_bucket`, selector)}))`;
}

/** The `quantile` latency from histogram `metric` (without `_bucket`), one series per `op`. */
export function quantileByOp(quantile: number, metric: string, selector: string): string {
  return quantileBy('op', quantile, metric, selector);
}

export interface Query {
  readonly expr: string;
  readonly legend: string;
  /** An instant query (one value per series) instead of a range. */
  readonly instant?: boolean;
  /** Buckets of a histogram, shown as counts per bucket (Grafana de-accumulates `le`). */
  readonly heatmap?: boolean;
  /** An instant query answered as a table (each label a column), not a range of samples. */
  readonly table?: boolean;
}

/** Latency percentiles shown by default. */
export const QUANTILES = [0.5, 0.9, 0.99] as const;

/** One query per percentile of histogram `metric`, one series per op, named like "p99 GET". */
export function latencyQueries(
  metric: string,
  selector: string,
  quantiles: readonly number[] = QUANTILES,
): Query[] {
  return quantiles.map((quantile) => ({
    expr: quantileByOp(quantile, metric, selector),
    legend: `p${Math.round(quantile * 100)} {{op}}`,
  }));
}

/** Gives panels dashboard-unique ids in the order they are made (rows included). */
export class PanelIds {
  private last = 0;
  next(): number {
    return ++this.last;
  }
}

function target(query: Query, index: number): DataqueryBuilder {
  const built = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + index))
    .expr(query.expr)
    .legendFormat(query.legend);
  if (query.heatmap) built.format(PromQueryFormat.Heatmap);
  if (query.table) built.format(PromQueryFormat.Table);
  return query.instant || query.table ? built.instant() : built.range();
}

export interface PanelOptions {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  /** Grid width (of 24) and height. */
  readonly width: number;
  readonly height?: number;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
}

type PanelBuilder =
  timeseries.PanelBuilder | stat.PanelBuilder | bargauge.PanelBuilder | trend.PanelBuilder;

/** What every panel here starts with: its id, texts, datasource, unit and size. */
function panelHead<P extends PanelBuilder>(
  panel: P,
  ids: PanelIds,
  options: PanelOptions,
  height: number,
): P {
  panel
    .id(ids.next())
    .title(options.title)
    .description(options.description)
    .datasource(DATASOURCE)
    .unit(options.unit)
    .span(options.width)
    .height(options.height ?? height);
  return panel;
}

/** What every panel here ends with: its value range and precision, then its queries. */
function panelData<P extends PanelBuilder>(panel: P, options: PanelOptions): P {
  if (options.min !== undefined) panel.min(options.min);
  if (options.max !== undefined) panel.max(options.max);
  if (options.decimals !== undefined) panel.decimals(options.decimals);
  options.queries.forEach((query, index) => panel.withTarget(target(query, index)));
  return panel;
}

/** A time series panel, legend shown as a list, tooltip listing every series. */
export function timeseriesPanel(ids: PanelIds, options: PanelOptions): timeseries.PanelBuilder {
  const panel = withLines(panelHead(new timeseries.PanelBuilder(), ids, options, 8))
    .fillOpacity(10)
    .showPoints(VisibilityMode.Never);
  return panelData(panel, options);
}

/** A panel of lines: the legend as a list below, the tooltip listing every series. */
function withLines<P extends timeseries.PanelBuilder | trend.PanelBuilder>(panel: P): P {
  panel
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    )
    .tooltip(
      new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending),
    );
  return panel;
}

export interface StatOptions extends PanelOptions {
  readonly thresholds?: readonly Threshold[];
  readonly mappings?: readonly ValueMapping[];
}

/** A single-value panel showing the last value of each series, with a sparkline. */
export function statPanel(ids: PanelIds, options: StatOptions): stat.PanelBuilder {
  const panel = panelHead(new stat.PanelBuilder(), ids, options, 4)
    .graphMode(BigValueGraphMode.Area)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(
      new ThresholdsConfigBuilder()
        .mode(ThresholdsMode.Absolute)
        .steps([...(options.thresholds ?? [{ value: null, color: 'green' }])]),
    );
  if (options.mappings !== undefined) panel.mappings([...options.mappings]);
  return panelData(panel, options);
}

/**
 * One instant table query drawn as lines against a numeric field (not time): `matrix` turns its
 * rows into that field (the values of label `rows`, as numbers, ascending) and one column per
 * value of label `columns`.
 */
export interface TrendOptions extends PanelOptions {
  readonly matrix: { readonly rows: string; readonly columns: string };
}

export function trendPanel(ids: PanelIds, options: TrendOptions): trend.PanelBuilder {
  const { rows, columns } = options.matrix;
  const grouped = `${rows}\\${columns}`;
  const panel = withLines(panelHead(new trend.PanelBuilder(), ids, options, 8))
    .xField(rows)
    .showPoints(VisibilityMode.Always)
    .transformations([
      {
        id: 'groupingToMatrix',
        options: { rowField: rows, columnField: columns, valueField: 'Value' },
      },
      { id: 'organize', options: { renameByName: { [grouped]: rows } } },
      {
        id: 'convertFieldType',
        options: { conversions: [{ targetField: rows, destinationType: 'number' }], fields: {} },
      },
      { id: 'sortBy', options: { fields: {}, sort: [{ field: rows }] } },
    ]);
  return panelData(panel, options);
}

/** Horizontal bars, one per series, each its last value: a distribution (e.g. histogram buckets). */
export function barGaugePanel(ids: PanelIds, options: PanelOptions): bargauge.PanelBuilder {
  const panel = panelHead(new bargauge.PanelBuilder(), ids, options, 8)
    .orientation(VizOrientation.Horizontal)
    .displayMode(BarGaugeDisplayMode.Gradient)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  return panelData(panel, options);
}

export function row(ids: PanelIds, title: string): RowBuilder {
  return new RowBuilder(title).id(ids.next());
}

/** A row and its time series panels, in that order. */
export function timeseriesRow(
  builder: DashboardBuilder,
  ids: PanelIds,
  title: string,
  panels: readonly PanelOptions[],
): DashboardBuilder {
  builder.withRow(row(ids, title));
  for (const options of panels) builder.withPanel(timeseriesPanel(ids, options));
  return builder;
}

/** A dashboard with the settings all semicache dashboards share. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['semicache'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('10s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser');
}
