import type uPlot from "uplot";
import type { MatrixSeries } from "./api";

/**
 * Puts range-query series on one x axis for uPlot. The x values are the sorted union of their
 * timestamps (Unix seconds). Each series gets `undefined` where only other series have a sample,
 * which uPlot draws across, and `null` for a real gap, which breaks its line: at NaN or ±Inf (uPlot
 * cannot scale them), and across every stretch of more than 1.5 `stepSeconds` without a sample,
 * adding an x value there if needed. A gap spreads over the `undefined`s next to it, as uPlot only
 * breaks a line between the x values on either side of a null (its `NULL_EXPAND` join mode).
 */
export function alignSeries(series: readonly MatrixSeries[], stepSeconds: number): uPlot.AlignedData {
  const gaps = series.map((s) => gapMarkers(s, stepSeconds));
  const all = series.flatMap((s, i) => [...s.values.map((p) => p[0]), ...(gaps[i] ?? [])]);
  const times = [...new Set(all)].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const ys = series.map((s, i) => {
    const y = new Array<number | null | undefined>(times.length).fill(undefined);
    for (const t of gaps[i] ?? []) y[index.get(t)!] = null;
    for (const [t, v] of s.values) {
      const n = Number(v);
      y[index.get(t)!] = Number.isFinite(n) ? n : null;
    }
    return expandNulls(y);
  });
  return [times, ...ys];
}

// One timestamp inside each stretch of the series with no sample for more than 1.5 steps.
function gapMarkers(s: MatrixSeries, stepSeconds: number): number[] {
  const markers: number[] = [];
  for (let i = 1; i < s.values.length; i++) {
    const prev = s.values[i - 1]![0];
    if (s.values[i]![0] - prev > 1.5 * stepSeconds) markers.push(prev + stepSeconds);
  }
  return markers;
}

function expandNulls(y: (number | null | undefined)[]): (number | null | undefined)[] {
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== null) continue;
    for (let j = i - 1; j >= 0 && y[j] === undefined; j--) y[j] = null;
    while (y[i + 1] === undefined && i + 1 < y.length) y[++i] = null;
  }
  return y;
}
