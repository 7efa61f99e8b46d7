import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { alignSeries } from "./align";
import type { MatrixSeries } from "./api";
import { formatSeriesLabel } from "./format";
import { seriesColor } from "./palette";

const HEIGHT = 320;
const AXIS = { stroke: "#5b6472", grid: { stroke: "#eceef2" }, ticks: { stroke: "#d5d9e0" } };

/** Props of {@link QueryGraph}. */
export interface QueryGraphProps {
  series: readonly MatrixSeries[];
  /** The query's step in seconds; longer stretches without samples are drawn as gaps. */
  step: number;
  /** The queried window (Unix seconds): the x axis always spans it, however little data there is. */
  start: number;
  end: number;
}

/** A uPlot line chart of a range query's series, with a legend, as wide as its container. */
export function QueryGraph({ series, step, start, end }: QueryGraphProps) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const queried = useRef({ start, end });
  queried.current = { start, end };

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const labels = series.map((s) => formatSeriesLabel(s.metric));
    const data = alignSeries(series, step);
    const old = chart.current;
    // Same series as before: new data only, keeping what the user hid or zoomed into.
    if (old && sameLabels(old, labels)) {
      old.setData(data);
      return;
    }
    old?.destroy();
    chart.current = new uPlot(
      options(labels, el.clientWidth, () => [queried.current.start, queried.current.end]),
      data,
      el,
    );
  }, [series, step, start, end]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const resize = new ResizeObserver(() => {
      const u = chart.current;
      if (u && u.width !== el.clientWidth) u.setSize({ width: el.clientWidth, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);

  return <div class="graph" ref={host} data-testid="query-graph" />;
}

function options(labels: readonly string[], width: number, xRange: () => uPlot.Range.MinMax): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    // The queried window, not the data's extent: one sample must not stretch the axis over years.
    scales: { x: { time: true, range: xRange } },
    axes: [
      { ...AXIS, space: 90 },
      { ...AXIS, size: 64 },
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    series: [
      {},
      ...labels.map((label, i) => ({
        label,
        stroke: seriesColor(i),
        width: 1.5,
        spanGaps: false,
      })),
    ],
  };
}

function sameLabels(u: uPlot, labels: readonly string[]): boolean {
  const current = u.series.slice(1).map((s) => s.label);
  return current.length === labels.length && current.every((l, i) => l === labels[i]);
}
