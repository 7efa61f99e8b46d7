import { type Labels, METRIC_NAME } from "../../model/labels.js";
import { ExecutionError } from "./errors.js";
import { quoteString } from "./string-literal.js";

/**
 * The values the evaluator passes between nodes. Every node is evaluated once over all steps of a
 * {@link StepGrid} ("vectorised"): an instant vector is a list of series whose points sit on step
 * timestamps, a scalar is one dense value per step. Samples live in typed arrays.
 */

/** The evaluation times `start, start+step, …` up to and including `end` (ms); `n` steps in all. */
export interface StepGrid {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly n: number;
}

/** The grid for `[start, end]` with `step` (> 0). */
export function stepGrid(start: number, end: number, step: number): StepGrid {
  return { start, end, step, n: Math.floor((end - start) / step) + 1 };
}

/**
 * One series of an evaluated value: points at strictly increasing timestamps (ms). `dropName`
 * marks a series whose metric name is to be removed at the end (delayed name removal).
 */
export interface EvalSeries {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  readonly dropName: boolean;
}

/** A scalar: one value per step of the grid. */
export interface ScalarValue {
  readonly kind: "scalar";
  readonly values: Float64Array;
}

/** A string literal's value. */
export interface StringValue {
  readonly kind: "string";
  readonly value: string;
}

/** An instant vector over the grid: points only at step timestamps. */
export interface VectorValue {
  readonly kind: "vector";
  readonly series: EvalSeries[];
}

/** A range vector (only as the result of an instant query): raw points of each series' window. */
export interface MatrixValue {
  readonly kind: "matrix";
  readonly series: EvalSeries[];
}

/** Any evaluated value. */
export type Value = ScalarValue | StringValue | VectorValue | MatrixValue;

/** The total number of points in `series`. */
export function pointCount(series: readonly EvalSeries[]): number {
  let n = 0;
  for (const s of series) n += s.ts.length;
  return n;
}

/** Growable typed arrays for the points of one series. */
export class PointBuffer {
  /** Timestamps (ms); only the first `n` are valid. */
  ts: Float64Array;
  /** Values; only the first `n` are valid. */
  vs: Float64Array;
  /** Number of points. */
  n = 0;

  constructor(capacity = 4) {
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  /** Appends one point. */
  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const cap = this.n * 2 || 4;
      const ts = new Float64Array(cap);
      const vs = new Float64Array(cap);
      ts.set(this.ts);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  /** The points so far as a series (views, not copies, when the buffer is full). */
  toSeries(labels: Labels, dropName: boolean): EvalSeries {
    return { labels, ts: this.ts.subarray(0, this.n), vs: this.vs.subarray(0, this.n), dropName };
  }
}

const NAME_ONLY: ReadonlySet<string> = new Set([METRIC_NAME]);

/** `labels` without `__name__`. */
export function withoutName(labels: Labels): Labels {
  return labels.has(METRIC_NAME) ? labels.without(NAME_ONLY) : labels;
}

/** Labels and flag of a series whose operation drops the metric name, now or (when `delayed`) at the end. */
export function dropNameOf(labels: Labels, delayed: boolean): { labels: Labels; dropName: boolean } {
  return delayed ? { labels, dropName: true } : { labels: withoutName(labels), dropName: false };
}

/** Prometheus's message for two results with the same labels at one step. */
export const DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset";

interface Entry {
  readonly labels: Labels;
  dropName: boolean;
  readonly buf: PointBuffer;
  sorted: boolean;
}

/**
 * Collects output points by label set, in first-seen order. Points of one label set may arrive
 * out of time order (from several inputs); {@link series} sorts them and fails on two points at
 * the same time, which is how PromQL's "same labelset" errors surface.
 */
export class SeriesAccumulator {
  readonly #entries: Entry[] = [];
  readonly #byKey = new Map<string, number>();

  /** A handle for the series with `labels`, created on first use. */
  handle(labels: Labels, dropName: boolean): number {
    const key = labels.key();
    let h = this.#byKey.get(key);
    if (h === undefined) {
      h = this.#entries.length;
      this.#entries.push({ labels, dropName, buf: new PointBuffer(), sorted: true });
      this.#byKey.set(key, h);
    } else if (!dropName) {
      this.#entries[h]!.dropName = false;
    }
    return h;
  }

  /** Appends a point to the series behind `handle`. */
  push(handle: number, t: number, v: number): void {
    const e = this.#entries[handle]!;
    if (e.buf.n > 0 && e.buf.ts[e.buf.n - 1]! >= t) e.sorted = false;
    e.buf.push(t, v);
  }

  /** Appends a point to the series with `labels`. */
  add(labels: Labels, dropName: boolean, t: number, v: number): void {
    this.push(this.handle(labels, dropName), t, v);
  }

  /** The collected series; throws {@link ExecutionError} with `duplicateMessage` if one has two points at a time. */
  series(duplicateMessage: string = DUPLICATE_LABELSET): EvalSeries[] {
    const out: EvalSeries[] = [];
    for (const e of this.#entries) {
      if (e.buf.n === 0) continue;
      if (!e.sorted) sortPoints(e.buf, duplicateMessage);
      out.push(e.buf.toSeries(e.labels, e.dropName));
    }
    return out;
  }
}

function sortPoints(buf: PointBuffer, duplicateMessage: string): void {
  const idx = Array.from({ length: buf.n }, (_, i) => i);
  const ts = buf.ts;
  idx.sort((a, b) => ts[a]! - ts[b]!);
  const nts = new Float64Array(buf.n);
  const nvs = new Float64Array(buf.n);
  for (let i = 0; i < idx.length; i++) {
    nts[i] = ts[idx[i]!]!;
    nvs[i] = buf.vs[idx[i]!]!;
    if (i > 0 && nts[i] === nts[i - 1]) throw new ExecutionError(duplicateMessage);
  }
  buf.ts = nts;
  buf.vs = nvs;
}

/**
 * Merges series that share a label set (their points must not share a timestamp), keeping
 * first-seen order. Cheap when all label sets differ.
 */
export function mergeSameLabels(
  series: readonly EvalSeries[],
  duplicateMessage: string = DUPLICATE_LABELSET,
): EvalSeries[] {
  const seen = new Set<string>();
  let clash = false;
  for (const s of series) {
    const k = s.labels.key();
    if (seen.has(k)) {
      clash = true;
      break;
    }
    seen.add(k);
  }
  if (!clash) return [...series];
  const acc = new SeriesAccumulator();
  for (const s of series) {
    const h = acc.handle(s.labels, s.dropName);
    for (let i = 0; i < s.ts.length; i++) acc.push(h, s.ts[i]!, s.vs[i]!);
  }
  return acc.series(duplicateMessage);
}

/** Index of the grid step at time `t` (which must lie on the grid). */
export function stepIndex(grid: StepGrid, t: number): number {
  return Math.round((t - grid.start) / grid.step);
}

/** Prometheus's `labels.String()` form, used in error messages: `{__name__="up", job="api"}`. */
export function labelsString(labels: Labels): string {
  const parts: string[] = [];
  labels.forEach((n, v) => {
    parts.push(`${n}=${quoteString(v)}`);
  });
  return `{${parts.join(", ")}}`;
}
