/**
 * The consumer side of the hot-path remote-write decoders (`fast-v1.ts`, `fast-v2.ts`): instead of
 * building a request object, a decoder walks the bytes once and calls a sink.
 */
import type { Histogram } from "./histogram.js";
import type { RawLabels } from "./raw-labels.js";

/**
 * Receives one request, series by series, in wire order. For each series the decoder calls
 * {@link WriteSink.series} once, with the complete label set, then the other methods for the
 * series' samples, histograms and exemplars in wire order, then (2.0) its metadata, once. 1.0
 * metadata, which belongs to the request, comes where it stands on the wire, between series.
 *
 * Contract:
 * - Every call is synchronous and happens inside the decoder's `decode`; the sink must not start
 *   another decode on the same decoder from a callback.
 * - A {@link RawLabels} is valid only during the call that received it (it is reused and points into
 *   the request buffer). Copy with `toLabels()` what must outlive the call. One exception: the labels
 *   given to {@link WriteSink.series} stay valid, unchanged, through the calls for that series' data
 *   and metadata, until the next `series` call or the end of `decode`.
 * - The decoder stops at the first corrupt byte with a `WireError`, possibly after calls for earlier
 *   series: a sink that stores must be able to roll back (e.g. an Appender that is committed only
 *   when `decode` returns).
 * - An error the sink throws ends the decode and reaches the caller unchanged.
 * - Optional methods: when one is absent, the decoder skips those fields by their length, without
 *   decoding or checking what is inside.
 *
 * Timestamps are Unix milliseconds (int64 on the wire, exact to ±2^53); values are float64 with NaN
 * payloads kept, so a stale marker arrives bit for bit.
 */
export interface WriteSink {
  /**
   * A series begins. Returns a handle (≥ 0) that the decoder passes back with the series' data, or
   * -1 (any negative number) to skip that data. Check `labels.problem()` before storing anything:
   * the decoder does not refuse series by itself.
   */
  series(labels: RawLabels): number;
  /**
   * A float sample of series `handle`: value `v` at `t`. `startTimestamp` (2.0 only) is when the
   * counter started, 0 when unset or in 1.0; a sink that has no use for it may omit the parameter.
   */
  sample(handle: number, t: number, v: number, startTimestamp: number): void;
  /**
   * Optional batch form of {@link WriteSink.sample}: when present, the decoder calls it instead,
   * with runs of consecutive samples of series `handle` (all of them, unless other data of the
   * series comes between them on the wire): entries `[0, count)` of `timestamps`, `values` and
   * `startTimestamps` (2.0; all 0 in 1.0). The arrays belong to the decoder, are reused, and are
   * valid only during the call. This spares the boxing of each float64 that a call per sample costs.
   */
  samples?(
    handle: number,
    count: number,
    timestamps: Float64Array,
    values: Float64Array,
    startTimestamps: Float64Array,
  ): void;
  /** A native histogram sample of series `handle`. `h` is new and belongs to the sink. */
  histogram?(handle: number, h: Histogram): void;
  /** An exemplar of series `handle`; `labels` (e.g. `trace_id`) is valid only during the call. */
  exemplar?(handle: number, labels: RawLabels, value: number, t: number): void;
  /**
   * Metadata. In 1.0 it belongs to a metric family (`familyName`) and `handle` is -1; in 2.0 it
   * belongs to series `handle` and `familyName` is "" (the family is the series' `__name__`).
   * `type` is a `MetricMetadata.MetricType` number; the numbers are the same in 1.0 and 2.0.
   */
  metadata?(handle: number, type: number, familyName: string, help: string, unit: string): void;
}
