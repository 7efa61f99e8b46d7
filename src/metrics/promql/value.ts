import { Labels, METRIC_NAME } from "../../model/labels.js";
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

/**
 * Shared blocks that small {@link PointBuffer}s carve their arrays from. A query makes a buffer or
 * two per series, and a typed array of its own costs an off-heap allocation plus GC finalisation —
 * far more than filling it; a view into a block costs one small object. A block lives as long as a
 * view into it does.
 */
const SLAB_POINTS = 1 << 16;
/** Buffers at least this large get arrays of their own. */
const SLAB_MAX_TAKE = 1 << 12;
let slabTs = new Float64Array(0);
let slabVs = new Float64Array(0);
let slabUsed = 0;

/** Reserves `n` (< {@link SLAB_MAX_TAKE}) points of the slab; returns the first one's index. */
function reserve(n: number): number {
  if (slabUsed + n > slabTs.length) {
    slabTs = new Float64Array(SLAB_POINTS);
    slabVs = new Float64Array(SLAB_POINTS);
    slabUsed = 0;
  }
  const at = slabUsed;
  slabUsed += n;
  return at;
}

/** A view of points `[at, at + n)` of a slab block (cheaper to make than a `subarray`). */
function view(block: Float64Array, at: number, n: number): Float64Array {
  return new Float64Array(block.buffer, at * 8, n);
}

/** Sets `buf.ts`/`buf.vs` to fresh arrays of `cap` points (from the slab when small). */
function allocate(buf: PointBuffer, cap: number): void {
  if (cap >= SLAB_MAX_TAKE) {
    buf.ts = new Float64Array(cap);
    buf.vs = new Float64Array(cap);
    return;
  }
  const at = reserve(cap);
  buf.ts = view(slabTs, at, cap);
  buf.vs = view(slabVs, at, cap);
}

/** Growable typed arrays for the points of one series. */
export class PointBuffer {
  /** Timestamps (ms); only the first `n` are valid. */
  ts!: Float64Array;
  /** Values; only the first `n` are valid. */
  vs!: Float64Array;
  /** Number of points. */
  n = 0;

  constructor(capacity = 4) {
    allocate(this, capacity);
  }

  /** Appends one point. */
  push(t: number, v: number): void {
    if (this.n === this.ts.length) this.#grow();
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  #grow(): void {
    const ts = this.ts;
    const vs = this.vs;
    allocate(this, this.n * 2 || 4);
    this.ts.set(ts);
    this.vs.set(vs);
  }

  /** The points so far as a series (views, not copies, when the buffer is full). */
  toSeries(labels: Labels, dropName: boolean): EvalSeries {
    const { ts, vs, n } = this;
    return {
      labels,
      ts: new Float64Array(ts.buffer, ts.byteOffset, n),
      vs: new Float64Array(vs.buffer, vs.byteOffset, n),
      dropName,
    };
  }

  /**
   * Copies of the points so far in arrays of their exact size (carved from the shared slab), then
   * empties the buffer: one buffer can collect series after series without growing each time.
   */
  takePoints(): { ts: Float64Array; vs: Float64Array } {
    const n = this.n;
    this.n = 0;
    if (n >= SLAB_MAX_TAKE) return { ts: this.ts.slice(0, n), vs: this.vs.slice(0, n) };
    const at = reserve(n);
    const ts = view(slabTs, at, n);
    const vs = view(slabVs, at, n);
    const fromTs = this.ts;
    const fromVs = this.vs;
    for (let i = 0; i < n; i++) {
      ts[i] = fromTs[i]!;
      vs[i] = fromVs[i]!;
    }
    return { ts, vs };
  }

  /** {@link takePoints} as a series. */
  takeSeries(labels: Labels, dropName: boolean): EvalSeries {
    const { ts, vs } = this.takePoints();
    return { labels, ts, vs, dropName };
  }
}

/**
 * The labels that describe the metric rather than the series: the name and, with Prometheus's
 * type-and-unit labels, `__type__` and `__unit__`. Prometheus 3 drops all three wherever an
 * operation drops the metric name (they only exist when ingestion added them).
 */
const NAME_LABELS: ReadonlySet<string> = new Set([METRIC_NAME, "__type__", "__unit__"]);

/** `labels` without `__name__` (and the metric's `__type__`/`__unit__` labels). */
export function withoutName(labels: Labels): Labels {
  return labels.has(METRIC_NAME) || labels.has("__type__") || labels.has("__unit__")
    ? labels.without(NAME_LABELS)
    : labels;
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
  if (strictlyIncreasing(series)) return [...series];
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

/**
 * Whether the label sets of `series` are in strictly increasing order, hence all different: how
 * series selected from storage (sorted by labels) usually still are after an operation, and a check
 * that builds no key.
 */
function strictlyIncreasing(series: readonly EvalSeries[]): boolean {
  for (let i = 1; i < series.length; i++) {
    if (Labels.compare(series[i - 1]!.labels, series[i]!.labels) >= 0) return false;
  }
  return true;
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
