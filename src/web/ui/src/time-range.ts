/** A time range the graph can show, ending now. */
export interface TimeRange {
  key: string;
  label: string;
  seconds: number;
}

/** The ranges offered, shortest first; the first is the default. */
export const TIME_RANGES: readonly [TimeRange, ...TimeRange[]] = [
  { key: "15m", label: "Last 15 minutes", seconds: 15 * 60 },
  { key: "1h", label: "Last 1 hour", seconds: 60 * 60 },
  { key: "6h", label: "Last 6 hours", seconds: 6 * 60 * 60 },
];

/** Query step in whole seconds: about 250 points over the range, never finer than 15 s. */
export function stepFor(rangeSeconds: number): number {
  return Math.max(15, Math.round(rangeSeconds / 250));
}
