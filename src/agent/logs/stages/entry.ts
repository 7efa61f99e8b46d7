/**
 * The entry a pipeline works on, and the small helpers every stage shares.
 *
 * Failure policy of the parser stages (`cri`, `docker`, `json`, `logfmt`): a line a parser cannot
 * parse is never lost. It continues unchanged through the rest of the pipeline and gets the label
 * `log_error` set to the name of the first stage that failed (`log_error="json"`), so it reaches the
 * seed unparsed and can be found with `{log_error!=""}`. Only an explicit option of the stage itself
 * (`json.drop_malformed`) drops such a line, and that drop is counted. A `regex` that does not match
 * is not an error (as in Promtail: several alternative `regex` stages are common); a `timestamp`
 * that does not parse follows its `action_on_failure`.
 */

/** One log entry going through a pipeline. Owned by the pipeline from `process` on: stages change it in place. */
export interface Entry {
  /** Stream labels; stages add, rename and remove labels here. */
  labels: Map<string, string>;
  /** The extracted map: values parsed out of the line by earlier stages (strings, numbers, booleans, objects). */
  extracted: Map<string, unknown>;
  /** The log line. */
  line: string;
  /** The entry's timestamp in Unix nanoseconds. */
  tsNs: bigint;
  /** Structured metadata sent beside the line (not indexed). */
  metadata: Map<string, string>;
}

/** The label a parser stage sets on a line it could not parse; its value is the stage's name. */
export const LOG_ERROR_LABEL = "log_error";

/** Builds an entry with empty extracted map and metadata unless given. */
export function newEntry(
  line: string,
  tsNs: bigint,
  labels: Map<string, string> = new Map(),
  metadata: Map<string, string> = new Map(),
): Entry {
  return { labels, extracted: new Map(), line, tsNs, metadata };
}

/** Marks `e` as not parsed by `stage`, keeping the first stage that failed. */
export function markParseError(e: Entry, stage: string): void {
  if (!e.labels.has(LOG_ERROR_LABEL)) e.labels.set(LOG_ERROR_LABEL, stage);
}

/**
 * An extracted value as a string, as Promtail's stages read it: strings as they are, numbers and
 * booleans in their usual text, `null`/`undefined` as "", objects and arrays as JSON.
 */
export function valueToString(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
    case "bigint":
      return String(v);
    case "undefined":
      return "";
    default:
      if (v === null) return "";
      try {
        return JSON.stringify(v) ?? "";
      } catch {
        return String(v);
      }
  }
}

/**
 * A key identifying the stream of `labels`, for per-stream state (multiline blocks, timestamp
 * fudging). Built in insertion order, which is stable for the entries of one stream; sorted only
 * when needed would cost more per line than it saves.
 */
export function streamKey(labels: ReadonlyMap<string, string>): string {
  let k = "";
  for (const [n, v] of labels) k += `${n}\u0000${v}\u0001`;
  return k;
}

/**
 * {@link streamKey} with a memory of the last label set seen: lines arrive in runs from one file, so
 * comparing the labels with the previous entry's (usually the very same value strings) is cheaper
 * than building and hashing a new key. One per stage that keeps per-stream state.
 */
export class StreamKeys {
  #pairs: string[] = [];
  #key = "";

  /** The key of `labels`. */
  of(labels: ReadonlyMap<string, string>): string {
    const pairs = this.#pairs;
    if (labels.size * 2 === pairs.length) {
      let i = 0;
      let same = true;
      for (const [n, v] of labels) {
        if (pairs[i] !== n || pairs[i + 1] !== v) {
          same = false;
          break;
        }
        i += 2;
      }
      if (same) return this.#key;
    }
    pairs.length = 0;
    for (const [n, v] of labels) pairs.push(n, v);
    this.#key = streamKey(labels);
    return this.#key;
  }
}

/** Whether `name` is a valid Prometheus/Loki label name. */
export function isLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}
