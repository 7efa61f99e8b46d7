/**
 * Validation of a decoded Loki push against a tenant's {@link LogIngestLimits}, as Loki's
 * distributor does it: per stream (labels) and per entry (timestamp, line size, structured
 * metadata). Valid entries are kept; each invalid one is refused with a reason and a message that
 * names the limit and the setting to change. Nothing is thrown for a refusal: the HTTP layer keeps
 * what was accepted and answers 400 listing what was not ({@link pushOutcome}).
 */
import { formatDurationMs } from "../../lib/duration/duration.js";
import {
  formatStreamLabels,
  type PushEntry,
  type PushRequest,
  parseStreamLabels,
  StreamLabelsError,
} from "../../wire/loki/index.js";
import type { LogIngestLimits } from "./limits.js";

/** Why an entry was refused; the names are Loki's discard reasons, for familiar metrics. */
export type LogRefusalReason =
  | "invalid_labels"
  | "missing_labels"
  | "max_label_names_per_series"
  | "label_name_too_long"
  | "label_value_too_long"
  | "greater_than_max_sample_age"
  | "too_far_in_future"
  | "line_too_long"
  | "structured_metadata_too_large"
  | "structured_metadata_too_many";

/** One stream that has entries to keep. */
export interface ValidatedStream {
  /** Its labels sorted by name, without empty values (an empty value is an absent label). */
  readonly labels: readonly (readonly [string, string])[];
  /** Its canonical selector text (`{a="1", b="2"}`): the stream's identity within the tenant. */
  readonly key: string;
  /**
   * The accepted entries in the order received (streams of one request with the same labels are
   * merged). Entries are the request's own objects; a truncated line is a new object.
   */
  readonly entries: PushEntry[];
}

/** What {@link validatePush} kept and refused. */
export interface PushValidation {
  readonly streams: ValidatedStream[];
  /** Entries kept. */
  readonly accepted: number;
  /** UTF-8 bytes of the kept lines and structured metadata (what a bytes/s rate limit would charge). */
  readonly acceptedBytes: number;
  /** Kept entries whose line was cut to `max_line_size`. */
  readonly truncated: number;
  /** Entries refused. */
  readonly refused: number;
  /** Entries refused per reason; reasons that refused nothing are absent. */
  readonly refusedByReason: Readonly<Partial<Record<LogRefusalReason, number>>>;
  /** The first few refusal messages (at most `maxErrors`), for the 400 body. */
  readonly errors: readonly string[];
}

/** Options of {@link validatePush}. */
export interface ValidateOptions {
  /**
   * The configuration key of a limit, for messages (default `limits.<name>`); pass the tenant's own
   * override key when it has one.
   */
  readonly setting?: (name: keyof LogIngestLimits) => string;
  /** How many refusal messages to keep (default 5). */
  readonly maxErrors?: number;
}

const DEFAULT_MAX_ERRORS = 5;
const NS_PER_MS = 1_000_000n;
const RESERVED_PREFIX = "__";

/**
 * Validates `req` against `limits` at `nowMs` (Unix ms). Streams are checked once: bad labels refuse
 * all of a stream's entries; then each entry is checked for age (`reject_old_samples`), distance into
 * the future (`creation_grace_period`), line size (`max_line_size`, cut instead when
 * `max_line_size_truncate`), and structured metadata size and count. Streams without entries are
 * ignored. Never throws for the sender's data.
 */
export function validatePush(
  req: PushRequest,
  limits: LogIngestLimits,
  nowMs: number,
  options: ValidateOptions = {},
): PushValidation {
  const setting = options.setting ?? ((name: keyof LogIngestLimits) => `limits.${name}`);
  const maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;
  const nowNs = BigInt(Math.trunc(nowMs)) * NS_PER_MS;
  const oldestNs = limits.reject_old_samples
    ? nowNs - BigInt(Math.trunc(limits.reject_old_samples_max_age)) * NS_PER_MS
    : undefined;
  const newestNs = nowNs + BigInt(Math.trunc(limits.creation_grace_period)) * NS_PER_MS;

  const byKey = new Map<string, ValidatedStream>();
  const refusedByReason: Partial<Record<LogRefusalReason, number>> = {};
  const errors: string[] = [];
  let accepted = 0;
  let acceptedBytes = 0;
  let truncated = 0;
  let refused = 0;
  const refuse = (reason: LogRefusalReason, n: number, message: string): void => {
    refused += n;
    refusedByReason[reason] = (refusedByReason[reason] ?? 0) + n;
    if (errors.length < maxErrors) errors.push(message);
  };

  for (const s of req.streams) {
    if (s.entries.length === 0) continue;
    const labels = checkLabels(s.labels, limits, setting);
    if ("reason" in labels) {
      refuse(labels.reason, s.entries.length, `${labels.message} (${s.entries.length} entries refused)`);
      continue;
    }
    const key = formatStreamLabels(labels.pairs);
    let out = byKey.get(key);
    for (const e of s.entries) {
      if (oldestNs !== undefined && e.timestampNs < oldestNs) {
        refuse(
          "greater_than_max_sample_age",
          1,
          `${where(key, e)}: entry too old: older than reject_old_samples_max_age ${formatDurationMs(limits.reject_old_samples_max_age)} (${setting("reject_old_samples_max_age")}); send it sooner, raise the limit, or turn off ${setting("reject_old_samples")}`,
        );
        continue;
      }
      if (e.timestampNs > newestNs) {
        refuse(
          "too_far_in_future",
          1,
          `${where(key, e)}: entry too far in the future: more than creation_grace_period ${formatDurationMs(limits.creation_grace_period)} (${setting("creation_grace_period")}) ahead of the server's clock ${new Date(nowMs).toISOString()}; check the sender's clock`,
        );
        continue;
      }
      let entry = e;
      let lineBytes = Buffer.byteLength(e.line, "utf8");
      if (limits.max_line_size > 0 && lineBytes > limits.max_line_size) {
        if (!limits.max_line_size_truncate) {
          refuse(
            "line_too_long",
            1,
            `${where(key, e)}: line too long: ${lineBytes} bytes > max_line_size ${limits.max_line_size} (${setting("max_line_size")}); send shorter lines, raise the limit, or set ${setting("max_line_size_truncate")} to cut them`,
          );
          continue;
        }
        const line = truncateUtf8(e.line, limits.max_line_size);
        lineBytes = Buffer.byteLength(line, "utf8");
        entry = { ...e, line };
        truncated++;
      }
      const md = e.structuredMetadata;
      let mdBytes = 0;
      if (md !== undefined && md.length > 0) {
        const maxCount = limits.max_structured_metadata_entries_count;
        if (maxCount > 0 && md.length > maxCount) {
          refuse(
            "structured_metadata_too_many",
            1,
            `${where(key, e)}: too many structured metadata entries: ${md.length} > max_structured_metadata_entries_count ${maxCount} (${setting("max_structured_metadata_entries_count")})`,
          );
          continue;
        }
        for (const [name, value] of md)
          mdBytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
        const maxSize = limits.max_structured_metadata_size;
        if (maxSize > 0 && mdBytes > maxSize) {
          refuse(
            "structured_metadata_too_large",
            1,
            `${where(key, e)}: structured metadata too large: ${mdBytes} bytes > max_structured_metadata_size ${maxSize} (${setting("max_structured_metadata_size")})`,
          );
          continue;
        }
      }
      if (out === undefined) {
        out = { labels: labels.pairs, key, entries: [] };
        byKey.set(key, out);
      }
      out.entries.push(entry);
      accepted++;
      acceptedBytes += lineBytes + mdBytes;
    }
  }
  return {
    streams: [...byKey.values()],
    accepted,
    acceptedBytes,
    truncated,
    refused,
    refusedByReason,
    errors,
  };
}

type LabelCheck =
  | { readonly pairs: [string, string][] }
  | { readonly reason: LogRefusalReason; readonly message: string };

/** Parses and checks one stream's labels. */
function checkLabels(
  text: string,
  limits: LogIngestLimits,
  setting: (name: keyof LogIngestLimits) => string,
): LabelCheck {
  let parsed: [string, string][];
  try {
    parsed = parseStreamLabels(text);
  } catch (err: unknown) {
    if (err instanceof StreamLabelsError) return { reason: "invalid_labels", message: err.message };
    throw err;
  }
  const pairs = parsed.filter((p) => p[1] !== "");
  const shown = shorten(text);
  if (pairs.length === 0) {
    return {
      reason: "missing_labels",
      message: `stream ${shown} has no labels with a value: a stream needs at least one label with a non-empty value, or no selector could match it`,
    };
  }
  const maxNames = limits.max_label_names_per_series;
  if (maxNames > 0 && pairs.length > maxNames) {
    return {
      reason: "max_label_names_per_series",
      message: `stream ${shown} has ${pairs.length} labels > max_label_names_per_series ${maxNames} (${setting("max_label_names_per_series")}); drop labels (structured metadata suits high-cardinality values) or raise the limit`,
    };
  }
  for (const [name, value] of pairs) {
    if (name.startsWith(RESERVED_PREFIX)) {
      return {
        reason: "invalid_labels",
        message: `stream ${shown}: label name ${JSON.stringify(name)} is reserved: names starting with "__" are for internal use`,
      };
    }
    const nameBytes = Buffer.byteLength(name, "utf8");
    if (limits.max_label_name_length > 0 && nameBytes > limits.max_label_name_length) {
      return {
        reason: "label_name_too_long",
        message: `stream ${shown}: label name ${JSON.stringify(shorten(name))} is ${nameBytes} bytes > max_label_name_length ${limits.max_label_name_length} (${setting("max_label_name_length")})`,
      };
    }
    const valueBytes = Buffer.byteLength(value, "utf8");
    if (limits.max_label_value_length > 0 && valueBytes > limits.max_label_value_length) {
      return {
        reason: "label_value_too_long",
        message: `stream ${shown}: value of label ${name} is ${valueBytes} bytes > max_label_value_length ${limits.max_label_value_length} (${setting("max_label_value_length")})`,
      };
    }
  }
  return { pairs };
}

/**
 * The longest prefix of `s` whose UTF-8 form is at most `maxBytes` bytes, never splitting a
 * character (a surrogate pair stays whole).
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let n: number;
    let units = 1;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      n = 4;
      units = 2;
    } else n = 3; // BMP characters, and lone surrogates (written as U+FFFD, also 3 bytes)
    if (bytes + n > maxBytes) return s.slice(0, i);
    bytes += n;
    i += units - 1;
  }
  return s;
}

/** Where an entry is, for messages: its stream and timestamp. */
function where(key: string, e: PushEntry): string {
  return `stream ${shorten(key)}: entry at ${formatNs(e.timestampNs)}`;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** A Unix ns timestamp as RFC 3339 with nanoseconds, for messages. */
function formatNs(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  let rest = ns % NS_PER_MS;
  let whole = ms;
  if (rest < 0n) {
    rest += NS_PER_MS;
    whole -= 1n;
  }
  const d = new Date(Number(whole));
  if (Number.isNaN(d.getTime())) return `${ns}ns`;
  const iso = d.toISOString(); // …ss.mmmZ
  return rest === 0n ? iso : `${iso.slice(0, -1)}${String(rest).padStart(6, "0")}Z`;
}

function shorten(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
