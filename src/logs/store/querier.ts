import type { Matcher } from "../../model/matcher.js";
import type { LogMetadata } from "./block-payload.js";
import type { LogDirection } from "./chunk.js";

/**
 * The read seam of the log store: what the LogQL engine and the Loki API see. Implementations (the
 * head today; blocks and a multi-tenant merge later) hide their internals behind it.
 */

/** A stream's labels: pairs sorted by name, names unique, values non-empty. Never mutate. */
export type StreamLabels = readonly (readonly [string, string])[];

/** One log entry as a query yields it. */
export interface LogQueryEntry {
  /** The labels of the entry's stream (shared by all entries of the stream; never mutate). */
  readonly labels: StreamLabels;
  /** Unix nanoseconds. */
  readonly tsNs: bigint;
  readonly line: string;
  /** Structured metadata, or undefined when the entry has none. */
  readonly metadata: LogMetadata | undefined;
}

/**
 * What the caller of {@link LogQuerier.select} will do with the entries, so that the store may do
 * it earlier: it may leave out entries the caller would drop, never more. Results with and without
 * the hint are the same once the caller's filters ran.
 */
export interface SelectHint {
  /**
   * Substrings every line the caller keeps contains (the leading `|= "…"` filters of a query). The
   * store may search for them in decompressed bytes and skip other lines without decoding them.
   */
  readonly lineContains?: readonly string[];
}

/** A time range `[fromNs, toNs)` in Unix nanoseconds. */
export interface LogTimeRange {
  readonly fromNs: bigint;
  readonly toNs: bigint;
}

/** What the index knows of one stream over a time range (Loki's `index/stats` and `index/volume`). */
export interface LogStreamStats {
  readonly labels: StreamLabels;
  /** Chunks (cut or open) overlapping the range. */
  readonly chunks: number;
  /** Entries of those chunks (whole chunks: an estimate at the range's edges, as Loki's index gives). */
  readonly entries: number;
  /** Bytes of those entries' lines (UTF-16 code units; bytes for ASCII). */
  readonly bytes: number;
}

/**
 * A read view over one tenant's logs. Times are Unix **nanoseconds**, ranges `[fromNs, toNs)` (as
 * Loki's `start` inclusive, `end` exclusive).
 */
export interface LogQuerier {
  /**
   * The entries of the streams every matcher selects (a matcher matching "" also selects streams
   * without the label) in `[fromNs, toNs)`, merged across streams in time order: oldest first for
   * `"forward"`, newest first for `"backward"`; at most `limit` of them (`Infinity` for all). Ties at
   * one timestamp are ordered by stream labels, then arrival; `"backward"` is the exact reverse of
   * `"forward"`. A pull iterator: entries are decoded as the caller asks; stopping early (`break`,
   * `return()`) frees what the iteration holds. It sees the data as of the call (later appends are not
   * in it). With a `hint`, entries the caller would drop anyway may be left out (and then do not
   * count towards `limit`).
   */
  select(
    matchers: readonly Matcher[],
    fromNs: bigint,
    toNs: bigint,
    direction: LogDirection,
    limit: number,
    hint?: SelectHint,
  ): AsyncIterableIterator<LogQueryEntry>;

  /**
   * Label names of the streams the matchers select (all streams for none), sorted; with `range`, only
   * streams holding data in it (chunk granularity).
   */
  labelNames(matchers?: readonly Matcher[], range?: LogTimeRange): Promise<string[]>;

  /** Values of label `name` over the streams the matchers select, sorted; `range` as for {@link labelNames}. */
  labelValues(name: string, matchers?: readonly Matcher[], range?: LogTimeRange): Promise<string[]>;

  /** The label sets of the streams the matchers select, sorted by labels; `range` as for {@link labelNames}. */
  series(matchers: readonly Matcher[], range?: LogTimeRange): Promise<StreamLabels[]>;

  /**
   * Per-stream chunk, entry and byte counts of the streams the matchers select that hold data in
   * `[fromNs, toNs)`, sorted by labels; streams without data there are left out.
   */
  stats(matchers: readonly Matcher[], fromNs: bigint, toNs: bigint): Promise<LogStreamStats[]>;
}
