/**
 * The in-memory shape of a Loki push request (`POST /loki/api/v1/push`), whatever it arrived as
 * (protobuf + snappy, JSON, gzip'd JSON). Nothing here is validated beyond the wire format: labels
 * are still the selector text, timestamps may be anywhere, lines any length.
 */

/** One log line. */
export interface PushEntry {
  /** Nanoseconds since the Unix epoch (may be negative or far off; validation decides). */
  timestampNs: bigint;
  /** The line as sent, decoded from UTF-8. */
  line: string;
  /** Structured metadata `[name, value]` pairs in the order sent; absent when the entry has none. */
  structuredMetadata?: [name: string, value: string][];
}

/** One stream: its label set and its entries in the order sent. */
export interface PushStream {
  /**
   * The label set in Loki's selector form, e.g. `{app="web", env="prod"}`: as sent for protobuf,
   * written by {@link formatStreamLabels} for JSON. Parse it with `parseStreamLabels`.
   */
  labels: string;
  entries: PushEntry[];
}

/** A whole push request. */
export interface PushRequest {
  streams: PushStream[];
}
