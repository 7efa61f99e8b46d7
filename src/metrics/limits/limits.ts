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
  /** Exemplars a tenant keeps in memory (a ring: the oldest go first). 0 keeps none. */
  readonly max_exemplars: number;
  /** Metric families a tenant keeps metadata for; the least recently updated go first past it. 0 = no limit. */
  readonly max_metadata_families: number;
}

/**
 * Per-tenant limits on what one read may cost. A read over several tenants (`X-Scope-OrgID: a|b`)
 * runs under the strictest of theirs ({@link TenantLimits.strictest}). Zero means "no limit".
 */
export interface ReadLimits {
  /** Samples one query may hold in memory at once (Prometheus's `--query.max-samples`). */
  readonly max_samples_per_query: number;
  /** How long a query may run, ms; also the most a request's `timeout` parameter may ask for. */
  readonly query_timeout: number;
  /**
   * Series one read may return: a query's result, `/api/v1/series`; and names or values for
   * `/api/v1/labels` and `/api/v1/label/<name>/values`. Past it the read fails (a `limit`
   * parameter below it truncates instead).
   */
  readonly max_series_per_query: number;
}

/** Every per-tenant limit. */
export type Limits = IngestLimits & ReadLimits;

/** Defaults, close to Mimir's (and Prometheus's for the read limits) so that operators find familiar numbers. */
export const DEFAULT_LIMITS: Limits = {
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
  max_exemplars: 100_000,
  max_metadata_families: 10_000,
  max_samples_per_query: 50_000_000,
  query_timeout: 120_000,
  max_series_per_query: 500_000,
};

/** Some limits of one tenant, overriding the defaults. */
export type LimitOverrides = { readonly [K in keyof Limits]?: Limits[K] | undefined };

/**
 * The limits of each tenant: the defaults (`metrics.limits`), overridden per tenant
 * (`metrics.tenant_limits.<tenant>`), as Mimir's runtime overrides are.
 */
export class TenantLimits {
  readonly #merged = new Map<string, Limits>();

  constructor(
    private readonly defaults: Limits,
    private readonly overrides: Readonly<Record<string, LimitOverrides>> = {},
  ) {}

  /** The limits in force for `tenant`. */
  for(tenant: string): Limits {
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
  setting(tenant: string, limit: keyof Limits): string {
    return this.overrides[tenant]?.[limit] !== undefined
      ? `metrics.tenant_limits.${tenant}.${limit}`
      : `metrics.limits.${limit} (or metrics.tenant_limits.${tenant}.${limit})`;
  }

  /**
   * The strictest value of a read limit among `tenants` (the smallest non-zero one; 0 when every
   * tenant has none) and the configuration key that sets it, for the error message.
   */
  strictest(tenants: readonly string[], limit: keyof ReadLimits): { value: number; setting: string } {
    let best: { value: number; tenant: string } | undefined;
    for (const tenant of tenants) {
      const value = this.for(tenant)[limit];
      if (value > 0 && (best === undefined || value < best.value)) best = { value, tenant };
    }
    if (best === undefined) return { value: 0, setting: this.setting(tenants[0] ?? "", limit) };
    return { value: best.value, setting: this.setting(best.tenant, limit) };
  }
}
