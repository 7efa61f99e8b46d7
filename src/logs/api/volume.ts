/**
 * Log volume (Loki's `index/volume` and `index/volume_range`, shared/reference/loki-api.md §3): the
 * bytes of the streams a selector picks, summed per combination of the aggregation labels. Built
 * from the querier's per-stream index stats, so it has their chunk granularity.
 */
import { Matcher } from "../../model/matcher.js";
import { HttpError } from "../../server/errors.js";
import type { LogStreamStats } from "../store/index.js";

/** `aggregateBy`: one series per label-value combination (`series`), or one per label name (`labels`). */
export type VolumeAggregation = "series" | "labels";

/** How streams are grouped into volume series. */
export interface VolumePlan {
  /** The selector's matchers, plus `name=~".+"` for each target label the selector does not name. */
  readonly matchers: readonly Matcher[];
  /** The labels kept in a series: the target labels, or else those the selector names. */
  readonly labels: ReadonlySet<string>;
  readonly aggregateBy: VolumeAggregation;
}

/** One volume series: its labels (as written in the response) and its bytes. */
export interface VolumeSeries {
  /** Label names to values; with `aggregateBy=labels`, one label with the value "". */
  readonly metric: Readonly<Record<string, string>>;
  bytes: number;
}

/**
 * The grouping for a selector: by `targetLabels` when given (streams lacking one are left out, as
 * Loki adds a `=~".+"` matcher for it), else by the labels the selector names.
 */
export function volumePlan(
  matchers: readonly Matcher[],
  targetLabels: readonly string[],
  aggregateBy: VolumeAggregation,
): VolumePlan {
  if (targetLabels.length === 0)
    return { matchers, labels: new Set(matchers.map((m) => m.name)), aggregateBy };
  const named = new Set(matchers.map((m) => m.name));
  const extra = targetLabels.filter((t) => !named.has(t)).map((t) => new Matcher("=~", t, ".+"));
  return { matchers: [...matchers, ...extra], labels: new Set(targetLabels), aggregateBy };
}

/** Sums the streams' bytes into series keyed by their JSON labels, in `into` (added to what it holds). */
export function addVolume(
  plan: VolumePlan,
  stats: readonly LogStreamStats[],
  into: Map<string, VolumeSeries> = new Map(),
): Map<string, VolumeSeries> {
  const add = (metric: Record<string, string>, bytes: number) => {
    const key = JSON.stringify(metric);
    const had = into.get(key);
    if (had === undefined) into.set(key, { metric, bytes });
    else had.bytes += bytes;
  };
  for (const s of stats) {
    const kept = s.labels.filter(([name]) => plan.labels.has(name));
    if (plan.aggregateBy === "labels") {
      for (const [name] of kept) add({ [name]: "" }, s.bytes);
    } else if (kept.length > 0) {
      // Stream labels are sorted by name, so equal combinations give equal keys.
      add(Object.fromEntries(kept), s.bytes);
    }
  }
  return into;
}

/** The keys of the `limit` largest series, largest first (ties by key). */
export function topVolumeKeys(series: ReadonlyMap<string, VolumeSeries>, limit: number): string[] {
  return [...series.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([key]) => key);
}

/** `aggregateBy`: `series` (default) or `labels`. */
export function volumeAggregationParam(p: URLSearchParams): VolumeAggregation {
  const raw = p.get("aggregateBy") ?? "";
  if (raw === "" || raw === "series") return "series";
  if (raw === "labels") return "labels";
  throw new HttpError(
    "bad_data",
    `invalid parameter "aggregateBy": ${JSON.stringify(raw)}; expected series or labels`,
  );
}

/** `targetLabels`: comma-separated label names (blanks dropped). */
export function targetLabelsParam(p: URLSearchParams): string[] {
  const raw = p.get("targetLabels") ?? "";
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return [...new Set(names)];
}

/** `limit` of volume series: a positive integer, default 100. */
export function volumeLimitParam(p: URLSearchParams): number {
  const raw = p.get("limit");
  if (raw === null || raw === "") return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new HttpError(
      "bad_data",
      `invalid parameter "limit": ${JSON.stringify(raw)} is not a positive integer`,
    );
  return n;
}
