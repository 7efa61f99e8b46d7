import type { Ctx } from "../../model/context.js";
import type { Labels } from "../../model/labels.js";
import type { Matcher } from "../../model/matcher.js";

/**
 * The metrics storage seam (ARCHITECTURE.md §7). The embedded store, remote backends, the
 * multi-tenant merge and the global fan-out all implement these interfaces, and the query engine
 * and ingest path see nothing else.
 *
 * Units everywhere: timestamps are Unix milliseconds (integers held in a `number`); time ranges
 * are inclusive at both ends; values are float64, and a stale marker is the NaN with bit pattern
 * 0x7ff0000000000002 (see `model/stale.ts`).
 */

/** Why an append was refused; the ingest path maps it to an HTTP status. */
export type AppendErrorCode =
  | "out_of_order" // older than the newest sample of the series beyond what the store accepts
  | "too_old" // before the tenant's accepted window
  | "duplicate_different_value" // same series and timestamp, another value
  | "invalid_labels" // empty name, no metric name, …
  | "limit"; // a per-tenant limit; the message names the limit and its setting

/** A refused sample. Raised by {@link Appender.append}; the rest of the batch may still commit. */
export class AppendError extends Error {
  constructor(
    readonly code: AppendErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppendError";
  }
}

/**
 * A batch of writes for one tenant. Nothing is visible to queriers until {@link commit} resolves;
 * every appender must end in exactly one `commit()` or `rollback()`. Not safe for concurrent use.
 */
export interface Appender {
  /**
   * Adds one sample. `labels` is retained by the store for new series, so it must not change.
   * Throws {@link AppendError} for a sample the store refuses; the appender stays usable.
   */
  append(labels: Labels, t: number, v: number): void;
  /** Makes the batch durable and visible. After it resolves the write may be acknowledged. */
  commit(): Promise<void>;
  /** Discards the batch. */
  rollback(): void;
}

/**
 * A label set as a write brings it, before any string is built (remote-write's `RawLabels` is one):
 * the hot ingest path finds an existing series by {@link LabelView.hash} and confirms it with
 * {@link LabelView.equals}, and builds a {@link Labels} only for a new series.
 */
export interface LabelView {
  /** `hashLabels(this.toLabels())` (`model/label-hash.ts`). */
  readonly hash: number;
  /** Whether `toLabels()` would equal `labels`. */
  equals(labels: Labels): boolean;
  /**
   * The labels' encoding as the write carried it, `wireBuffer[wireStart, wireEnd)`, or `wireStart`
   * −1 when there is none: equal bytes there mean equal labels (a cache key, never a definition).
   */
  readonly wireStart: number;
  readonly wireEnd: number;
  readonly wireBuffer: Uint8Array;
  /** The labels, sorted; built now. */
  toLabels(): Labels;
}

/**
 * The hot-path form of an {@link Appender}: a series is named once per batch and its samples are
 * appended by the handle it got, with values read from a `Float64Array` (no boxing, NaN bits kept).
 */
export interface HandleAppender extends Appender {
  /**
   * A handle (≥ 0) for the series `view` names, valid until commit or rollback. A series the store
   * does not hold yet is first checked by `checkNew` (a refusal message, or undefined to accept) and
   * then admitted by the store's own limits. Throws {@link AppendError} when it is refused.
   */
  handle(view: LabelView, checkNew: (labels: Labels) => string | undefined): number;
  /** Appends sample `values[i]` at `t` to the series of `handle`; refusals as {@link Appender.append}. */
  appendAt(handle: number, t: number, values: Float64Array, i: number): void;
}

/** Whether `app` offers the hot path. */
export function isHandleAppender(app: Appender): app is HandleAppender {
  return typeof (app as Partial<HandleAppender>).appendAt === "function";
}

/** Something that accepts writes for the single tenant named by `ctx.tenants[0]`. */
export interface Appendable {
  appender(ctx: Ctx): Appender;
}

/** What a query is about to do with the data, so a store can load less. All optional. */
export interface SelectHints {
  /** Inclusive start of the data needed, ms. */
  start: number;
  /** Inclusive end of the data needed, ms. */
  end: number;
  /** The query step in ms, for range queries. */
  step?: number;
  /** The function the selection feeds, e.g. `rate`. */
  func?: string;
  /** Return only label sets; iterators may be empty (series and label endpoints). */
  labelsOnly?: boolean;
  /** At most this many series (0 or absent = all). */
  limit?: number;
}

/**
 * A pull iterator over the samples of one series, in increasing timestamp order. After `next()` or
 * `seek()` returns true, `t` and `v` hold the current sample; no object is made per sample.
 */
export interface SampleIterator {
  /** Moves to the next sample; false at the end. */
  next(): boolean;
  /** Moves to the first sample with timestamp ≥ `t` (never backwards); false if there is none. */
  seek(t: number): boolean;
  /** Current timestamp, ms. Valid only after next()/seek() returned true. */
  readonly t: number;
  /** Current value. Valid only after next()/seek() returned true. */
  readonly v: number;
}

/** One series of a selection. */
export interface Series {
  readonly labels: Labels;
  /** A fresh iterator over the series' samples within the querier's range. */
  iterator(): SampleIterator;
}

/** The result of a selection: series sorted by labels ({@link Labels.compare}), pulled one at a time. */
export interface SeriesSet {
  /** The next series, or undefined at the end. */
  next(): Series | undefined;
  /** Non-fatal problems met while selecting (e.g. a limit that truncated the result). */
  readonly warnings: readonly string[];
}

/**
 * Read access to the tenants of its context over `[mint, maxt]` (ms, inclusive). Call `close()`
 * when done; series and iterators must not be used after that.
 */
export interface Querier {
  /** Series whose labels satisfy every matcher, sorted by labels. At least one matcher is required. */
  select(matchers: readonly Matcher[], hints?: SelectHints): Promise<SeriesSet>;
  /** Sorted label names of series matching `matchers` (all series when empty). */
  labelNames(matchers: readonly Matcher[]): Promise<string[]>;
  /** Sorted values of label `name` among series matching `matchers` (all series when empty). */
  labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]>;
  close(): void;
}

/** Something that can be read: an embedded store, a remote backend, a merge of tenants. */
export interface Queryable {
  querier(ctx: Ctx, mint: number, maxt: number): Querier;
}
