import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { LookupSeries } from '../lookup-window';

const HEIGHT = 180;

function options(width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      ratio: { range: [0, 100] },
      lookups: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: [
      {
        stroke: '#5b6475',
        grid: { stroke: '#eef0f4' },
        // Every 10 seconds back from now: `-50 s` … `now`.
        splits: (_plot, _axis, min, max) => {
          const ticks: number[] = [];
          for (let tick = max; tick >= min; tick -= 10) ticks.unshift(tick);
          return ticks;
        },
        values: (_plot, ticks) => {
          const last = ticks[ticks.length - 1];
          return ticks.map((tick) => (tick === last ? 'now' : `${tick - last} s`));
        },
      },
      {
        scale: 'ratio',
        stroke: '#5b6475',
        grid: { stroke: '#eef0f4' },
        values: (_u, ticks) => ticks.map((tick) => `${tick}%`),
        size: 48,
      },
      {
        scale: 'lookups',
        side: 1,
        stroke: '#9aa3b2',
        grid: { show: false },
        values: (_u, ticks) => ticks.map((tick) => `${tick}/s`),
        size: 52,
      },
    ],
    series: [
      {},
      {
        label: 'lookups',
        scale: 'lookups',
        stroke: '#c9d3e3',
        fill: 'rgba(160, 176, 204, 0.55)',
        width: 1,
        paths: uPlot.paths.bars!({ size: [0.7, 12] }),
        points: { show: false },
      },
      {
        label: 'hit ratio',
        scale: 'ratio',
        stroke: '#1f9d55',
        width: 2,
        spanGaps: false,
        points: { show: true, size: 5, fill: '#1f9d55' },
      },
    ],
  };
}

function data(series: LookupSeries): uPlot.AlignedData {
  return [
    series.seconds,
    series.lookups,
    series.ratio.map((ratio) => (ratio === null ? null : Math.round(ratio * 1000) / 10)),
  ];
}

/** The hit ratio of each second of the last minute (green), over the lookups per second (grey). */
export function HitRatioChart({ series }: { series: LookupSeries }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const element = box.current!;
    const chart = new uPlot(options(element.clientWidth), data(series), element);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: element.clientWidth, height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, []);
  useEffect(() => plot.current?.setData(data(series)), [series]);
  return <div class="chart" ref={box} data-testid="hit-ratio-chart" />;
}
