import { Labels } from "../../model/labels.js";
import type { RangeAggregationExpr } from "../logql/index.js";
import {
  compileLabelFilter,
  compilePipeline,
  ERROR_LABEL,
  LineLabels,
  type PipelineDeps,
  parseBytesValue,
  parseDurationValue,
  parseGoFloat,
} from "../pipeline/index.js";
import type { LogQuerier } from "../store/querier.js";
import { LogQLEvalError } from "./errors.js";
import { checkAborted, StreamLabelsCache, toMatchers } from "./labels-cache.js";
import { rangeValue } from "./range-ops.js";
import { selectHint } from "./select-hint.js";
import { type StepSeries, type Steps, type StepValue, setPoint } from "./step-vector.js";

/** `__error__` code of a value `unwrap` could not convert, as Loki spells it. */
export const SAMPLE_EXTRACTION_ERR = "SampleExtractionErr";

/** One series' points still inside some future window. */
interface WindowState {
  readonly labels: Labels;
  ts: number[];
  vals: number[];
  head: number;
  sum: number;
}

/**
 * Evaluates a range aggregation at every step with one forward select over
 * `(first window start, last window end]`: entries go through the pipeline (and `unwrap`), land in
 * their series' sliding window, and each window `(t − offset − range, t − offset]` is reduced when
 * the stream passes its end. With `unwrap`, a line without the label (or with an empty value) gives
 * no sample. Throws {@link LogQLEvalError} `pipeline_error` when a series keeps an `__error__`
 * label, as Loki does (filter with `| __error__=""`).
 */
export async function evaluateRangeAggregation(
  querier: LogQuerier,
  expr: RangeAggregationExpr,
  steps: Steps,
  deps: PipelineDeps,
  signal: AbortSignal | undefined,
): Promise<StepValue> {
  checkAborted(signal);
  const r = expr.range;
  const n = steps.times.length;
  const out = new Map<string, StepSeries>();
  if (n === 0) return { kind: "vector", series: out };
  const rangeNs = BigInt(r.rangeMs) * 1_000_000n;
  const offsetNs = BigInt(r.offsetMs ?? 0) * 1_000_000n;
  const base = steps.times[0]! - offsetNs - rangeNs;
  const rel = (t: bigint): number => Number(t - base);
  const ends = steps.times.map((t) => rel(t - offsetNs));
  const rangeRel = Number(rangeNs);
  const rangeSeconds = r.rangeMs / 1000;

  const pipeline = compilePipeline(r.log.pipeline, deps);
  const unwrap = r.unwrap;
  const postFilters = unwrap?.filters.map(compileLabelFilter) ?? [];
  const convert =
    unwrap?.conversion === "bytes"
      ? parseBytesValue
      : unwrap?.conversion === undefined
        ? parseGoFloat
        : parseDurationValue;
  const grouping = expr.grouping;
  const groupSet = grouping === undefined ? undefined : new Set(grouping.labels);
  const absent = expr.op === "absent_over_time";
  const bytes = expr.op === "bytes_over_time" || expr.op === "bytes_rate";

  const windows = new Map<string, WindowState>();
  const cache = new StreamLabelsCache();
  let step = 0;

  const emit = (i: number): void => {
    const end = ends[i]!;
    const start = end - rangeRel;
    let any = false;
    for (const [key, w] of windows) {
      while (w.head < w.ts.length && w.ts[w.head]! <= start) {
        w.sum -= w.vals[w.head]!;
        w.head++;
      }
      if (w.head === w.ts.length) {
        windows.delete(key);
        continue;
      }
      if (w.head > 1024 && w.head * 2 > w.ts.length) {
        w.ts = w.ts.slice(w.head);
        w.vals = w.vals.slice(w.head);
        w.head = 0;
      }
      // Points pushed ahead of this window (after its end) do not count yet.
      let to = w.ts.length;
      while (to > w.head && w.ts[to - 1]! > end) to--;
      if (to === w.head) continue;
      any = true;
      if (absent) continue;
      let sum = w.sum;
      for (let j = to; j < w.ts.length; j++) sum -= w.vals[j]!;
      const points = { ts: w.ts, vals: w.vals, from: w.head, to, sum };
      const v = rangeValue(expr.op, unwrap !== undefined, points, { start, end, rangeSeconds }, expr.param);
      if (v !== undefined) setPoint(out, w.labels, n, i, v);
    }
    if (absent && !any) setPoint(out, absentLabels(expr), n, i, 1);
  };

  const it = querier.select(
    toMatchers(r.log.matchers),
    base + 1n,
    steps.times[n - 1]! - offsetNs + 1n,
    "forward",
    Number.POSITIVE_INFINITY,
    selectHint(r.log.pipeline),
  );
  let seen = 0;
  for await (const e of it) {
    if ((++seen & 1023) === 0) checkAborted(signal);
    const ts = rel(e.tsNs);
    while (step < n && ts > ends[step]!) emit(step++);
    if (step >= n) break;
    const stream = cache.get(e.labels);
    const md = e.metadata === undefined ? undefined : Object.fromEntries(e.metadata);
    const ll = new LineLabels(stream, md);
    const res = pipeline.process(e.tsNs, e.line, ll);
    if (res === undefined) continue;
    let value = 1;
    if (unwrap !== undefined) {
      const raw = ll.get(unwrap.label);
      // A line without the label (or with it empty) gives no sample and no error, as in Loki.
      if (raw === undefined || raw === "") continue;
      const v = convert(raw);
      if (typeof v === "string") {
        ll.setError(SAMPLE_EXTRACTION_ERR, v);
        value = 0;
      } else value = v;
      if (!postFilters.every((f) => f(ll))) continue;
      ll.delete(unwrap.label);
    } else if (bytes) {
      value = Buffer.byteLength(res.line, "utf8");
    }
    let labels = absent ? Labels.EMPTY : ll.toLabels();
    // A line with an error keeps all its labels, so the error reaches the check below (as Loki).
    if (groupSet !== undefined && ll.error === undefined)
      labels = grouping!.without ? labels.without(groupSet) : labels.keep(groupSet);
    const key = labels.key();
    let w = windows.get(key);
    if (w === undefined) {
      w = { labels, ts: [], vals: [], head: 0, sum: 0 };
      windows.set(key, w);
    }
    w.ts.push(ts);
    w.vals.push(value);
    w.sum += value;
  }
  while (step < n) emit(step++);
  for (const s of out.values()) {
    if (s.labels.has(ERROR_LABEL))
      throw new LogQLEvalError(
        "pipeline_error",
        `pipeline error: series ${s.labels.toString()} has ${ERROR_LABEL}="${s.labels.get(ERROR_LABEL)}"; use a label filter such as | ${ERROR_LABEL}="" to skip such lines`,
      );
  }
  return { kind: "vector", series: out };
}

/** The labels of `absent_over_time`'s series: the selector's equality matchers. */
function absentLabels(expr: RangeAggregationExpr): Labels {
  const flat: string[] = [];
  const seen = new Set<string>();
  for (const m of expr.range.log.matchers) {
    if (m.op !== "=" || seen.has(m.name)) continue;
    seen.add(m.name);
    flat.push(m.name, m.value);
  }
  return Labels.fromPairs(flat);
}
