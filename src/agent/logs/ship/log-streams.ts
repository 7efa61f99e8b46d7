/**
 * What the log shipper takes: entries grouped by stream, as the tailer and the pipeline stages hand
 * them over; and their check and normalisation before they are written to the disk queue.
 */
import { LABEL_NAME_RE } from "../../../wire/loki/index.js";

/** One log line to ship. */
export interface LogEntry {
  /** Nanoseconds since the Unix epoch (signed 64 bits). */
  readonly tsNs: bigint;
  /** The line, without its line ending. */
  readonly line: string;
  /** Loki structured metadata `[name, value]` pairs; names should be valid label names. */
  readonly metadata?: readonly (readonly [name: string, value: string])[];
}

/** Label pairs of a stream, or a record of them. */
export type StreamLabelsInput = Readonly<Record<string, string>> | readonly (readonly [string, string])[];

/** Entries of one stream, in the order they must reach the seed. */
export interface LogStream {
  /** The stream's labels; pairs need not be sorted. Pairs with an empty value are left out. */
  readonly labels: StreamLabelsInput;
  readonly entries: readonly LogEntry[];
}

/** A stream whose labels passed {@link normalizeLabels}, merged with others of the same label set. */
export interface CheckedStream {
  /** Sorted by name, names unique and valid, values non-empty, at least one pair. */
  readonly labels: readonly (readonly [string, string])[];
  readonly entries: readonly LogEntry[];
}

/**
 * `labels` as sorted pairs without empty values, or a string saying why they cannot be sent (no
 * label left, an invalid or duplicate name): the seed would refuse the whole push for one such
 * stream.
 */
export function normalizeLabels(labels: StreamLabelsInput): [string, string][] | string {
  const src: readonly (readonly [string, string])[] = Array.isArray(labels)
    ? (labels as readonly (readonly [string, string])[])
    : Object.entries(labels as Readonly<Record<string, string>>);
  const pairs: [string, string][] = [];
  for (const [name, value] of src) {
    if (value === "") continue;
    if (!LABEL_NAME_RE.test(name)) return `invalid label name ${JSON.stringify(name)}`;
    pairs.push([name, value]);
  }
  if (pairs.length === 0) return "a stream needs at least one label with a value";
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i]![0] === pairs[i - 1]![0]) return `duplicate label name ${JSON.stringify(pairs[i]![0])}`;
  }
  return pairs;
}

/**
 * Checks and merges `streams`: streams with the same label set become one (entries kept in the
 * order given); a stream with unusable labels is reported to `onInvalid` with the reason and left
 * out. Empty streams are left out.
 */
export function checkStreams(
  streams: readonly LogStream[],
  onInvalid: (entries: number, why: string) => void,
): CheckedStream[] {
  const byKey = new Map<string, { labels: [string, string][]; entries: LogEntry[] }>();
  const out: { labels: [string, string][]; entries: LogEntry[] }[] = [];
  for (const s of streams) {
    if (s.entries.length === 0) continue;
    const labels = normalizeLabels(s.labels);
    if (typeof labels === "string") {
      onInvalid(s.entries.length, labels);
      continue;
    }
    let key = "";
    for (const [n, v] of labels) key += `${n}\u0000${v}\u0001`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      const c = { labels, entries: [...s.entries] };
      byKey.set(key, c);
      out.push(c);
    } else for (const e of s.entries) seen.entries.push(e);
  }
  return out;
}
