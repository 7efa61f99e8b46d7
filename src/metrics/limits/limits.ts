/**
 * Per-tenant ingest and storage limits, with the configuration key of each so that an error can say which
 * setting to change. Zero means "no limit" for the count and rate limits.
 */
export interface IngestLimits {
  /** Series a tenant may hold in the head at once. */
  readonly max_active_series: number;
  /** Series one metric name may have in a tenant. */
  readonly max_series_per_metric: number;
  /** Labels one series may carry, `__name__` included. */
  readonly max_label_names_per_series: number;
  /** Longest label name, in bytes of UTF-8. */
  readonly max_label_name_length: number;
  /** Longest label value, in bytes of UTF-8. */
  readonly max_label_value_length: number;
  /** Samples per second a tenant may send, sustained. */
  readonly ingestion_rate: number;
  /** Samples a tenant may send at once above the sustained rate. */
  readonly ingestion_burst_size: number;
  /** How far behind a series' newest sample a late sample is still accepted, ms. */
  readonly out_of_order_window: number;
  /** How long a tenant's samples are kept, ms; blocks wholly older are deleted. 0 keeps them forever. */
  readonly retention: number;
  /** Bytes of blocks a tenant may keep on disk; the oldest blocks go first past it. 0 = no limit. */
  readonly retention_size: number;
}

/** Defaults, close to Mimir's so that operators find familiar numbers. */
export const DEFAULT_LIMITS: IngestLimits = {
  max_active_series: 1_500_000,
  max_series_per_metric: 100_000,
  max_label_names_per_series: 30,
  max_label_name_length: 1024,
  max_label_value_length: 2048,
  ingestion_rate: 100_000,
  ingestion_burst_size: 1_000_000,
  out_of_order_window: 600_000,
  retention: 15 * 24 * 3600_000,
  retention_size: 0,
};

/** Some limits of one tenant, overriding the defaults. */
export type LimitOverrides = { readonly [K in keyof IngestLimits]?: IngestLimits[K] | undefined };

/**
 * The limits of each tenant: the defaults (`metrics.limits`), overridden per tenant
 * (`metrics.tenant_limits.<tenant>`), as Mimir's runtime overrides are.
 */
export class TenantLimits {
  readonly #merged = new Map<string, IngestLimits>();

  constructor(
    private readonly defaults: IngestLimits,
    private readonly overrides: Readonly<Record<string, LimitOverrides>> = {},
  ) {}

  /** The limits in force for `tenant`. */
  for(tenant: string): IngestLimits {
    const o = this.overrides[tenant];
    if (!o) return this.defaults;
    let merged = this.#merged.get(tenant);
    if (!merged) {
      const set = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      merged = { ...this.defaults, ...set };
      this.#merged.set(tenant, merged);
    }
    return merged;
  }

  /** The configuration key that sets `limit` for `tenant` (the override when there is one). */
  setting(tenant: string, limit: keyof IngestLimits): string {
    return this.overrides[tenant]?.[limit] !== undefined
      ? `metrics.tenant_limits.${tenant}.${limit}`
      : `metrics.limits.${limit} (or metrics.tenant_limits.${tenant}.${limit})`;
  }
}
