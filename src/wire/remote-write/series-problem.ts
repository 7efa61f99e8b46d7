/**
 * Why one series of a remote-write request must be refused while the rest of the request may be
 * kept. A problem is not an exception: decoders report it beside the series and carry on, and the
 * receiver answers 400 naming it. Corrupt framing, which spoils the whole body, is a `WireError`.
 */

/**
 * The stable codes of {@link SeriesProblem}, listed from the most to the least fundamental. When a
 * series has several problems, decoders report the first in this order, so that every decoder of
 * the same bytes reports the same one.
 *
 * - `odd_labels_refs`: (2.0) a `labels_refs` list of odd length, in the series or an exemplar;
 * - `symbol_ref_out_of_range`: (2.0) a reference past the end of the symbols table;
 * - `samples_and_histograms`: (2.0) a series with both float samples and histograms;
 * - `histogram_mixed_kinds`: a histogram mixing integer fields (`count_int`, deltas) and float
 *   fields (`count_float`, counts);
 * - `exemplar_without_timestamp`: (2.0) an exemplar whose timestamp is missing (0);
 * - `empty_label_name`: a label whose name is empty;
 * - `repeated_label_name`: a label name that occurs twice;
 * - `missing_metric_name`: no `__name__` label, or an empty one.
 */
export type SeriesProblemCode =
  | "odd_labels_refs"
  | "symbol_ref_out_of_range"
  | "samples_and_histograms"
  | "histogram_mixed_kinds"
  | "exemplar_without_timestamp"
  | "empty_label_name"
  | "repeated_label_name"
  | "missing_metric_name";

const RANK: Readonly<Record<SeriesProblemCode, number>> = {
  odd_labels_refs: 0,
  symbol_ref_out_of_range: 1,
  samples_and_histograms: 2,
  histogram_mixed_kinds: 3,
  exemplar_without_timestamp: 4,
  empty_label_name: 5,
  repeated_label_name: 6,
  missing_metric_name: 7,
};

/** One reason to refuse a series: a stable `code` for programs and a `message` for the sender's logs. */
export class SeriesProblem {
  /** `message` should say what is wrong in terms of the protocol, e.g. which reference is out of range. */
  constructor(
    readonly code: SeriesProblemCode,
    readonly message: string,
  ) {}

  /**
   * Of two problems of one series, the one to report: the earlier in the order of
   * {@link SeriesProblemCode}, or `a` when both have the same rank or `b` is absent.
   */
  static first(a: SeriesProblem | undefined, b: SeriesProblem | undefined): SeriesProblem | undefined {
    if (a === undefined) return b;
    if (b === undefined) return a;
    return RANK[b.code] < RANK[a.code] ? b : a;
  }
}
