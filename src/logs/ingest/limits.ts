/**
 * Per-tenant limits on what a Loki push may carry, named as Loki names them so that operators find
 * familiar keys. A plain object: the caller resolves a tenant's overrides before validating. Zero
 * means "no limit" for the size and count limits.
 */
export interface LogIngestLimits {
  /** Longest line, in bytes of UTF-8. */
  readonly max_line_size: number;
  /** Whether a line over {@link LogIngestLimits.max_line_size} is cut to it (and kept) rather than refused. */
  readonly max_line_size_truncate: boolean;
  /** Labels one stream may carry. */
  readonly max_label_names_per_series: number;
  /** Longest label name, in bytes of UTF-8. */
  readonly max_label_name_length: number;
  /** Longest label value, in bytes of UTF-8. */
  readonly max_label_value_length: number;
  /** Whether entries older than {@link LogIngestLimits.reject_old_samples_max_age} are refused. */
  readonly reject_old_samples: boolean;
  /** How far behind now an entry may be, in ms, when {@link LogIngestLimits.reject_old_samples} is on. */
  readonly reject_old_samples_max_age: number;
  /** How far ahead of now an entry may be, in ms (clock skew allowance). */
  readonly creation_grace_period: number;
  /** Most bytes of structured metadata per entry: the sum of its names' and values' UTF-8 lengths. */
  readonly max_structured_metadata_size: number;
  /** Most structured metadata pairs per entry. */
  readonly max_structured_metadata_entries_count: number;
}

/** Loki's defaults. */
export const DEFAULT_LOG_INGEST_LIMITS: LogIngestLimits = {
  max_line_size: 256 * 1024,
  max_line_size_truncate: false,
  max_label_names_per_series: 15,
  max_label_name_length: 1024,
  max_label_value_length: 2048,
  reject_old_samples: true,
  reject_old_samples_max_age: 7 * 24 * 3600_000,
  creation_grace_period: 10 * 60_000,
  max_structured_metadata_size: 64 * 1024,
  max_structured_metadata_entries_count: 128,
};
