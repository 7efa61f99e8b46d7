import { type Labels, METRIC_NAME } from "../../model/labels.js";
import type { TenantLimits } from "./limits.js";

/**
 * Counts a tenant's series in total and per metric name, and refuses a new series past
 * `max_active_series` or `max_series_per_metric`. The store calls {@link admit} before it creates a
 * series and {@link release} when it drops one.
 */
export class SeriesLimiter {
  #total = 0;
  readonly #perMetric = new Map<string, number>();

  constructor(
    private readonly tenant: string,
    private readonly limits: TenantLimits,
  ) {}

  /** Series counted now. */
  get total(): number {
    return this.#total;
  }

  /** Counts a new series, or returns why it is refused (naming the limit and its setting). */
  admit(labels: Labels): string | undefined {
    const l = this.limits.for(this.tenant);
    if (l.max_active_series > 0 && this.#total >= l.max_active_series) {
      return `tenant ${this.tenant} has reached the limit of ${l.max_active_series} active series; new series are refused until old ones go, or raise ${this.limits.setting(this.tenant, "max_active_series")}`;
    }
    const name = labels.get(METRIC_NAME);
    const n = this.#perMetric.get(name) ?? 0;
    if (l.max_series_per_metric > 0 && n >= l.max_series_per_metric) {
      return `metric ${name} has reached the limit of ${l.max_series_per_metric} series in tenant ${this.tenant}; raise ${this.limits.setting(this.tenant, "max_series_per_metric")}`;
    }
    this.#perMetric.set(name, n + 1);
    this.#total++;
    return undefined;
  }

  /** Uncounts a series the store dropped. */
  release(labels: Labels): void {
    const name = labels.get(METRIC_NAME);
    const n = this.#perMetric.get(name) ?? 0;
    if (n <= 1) this.#perMetric.delete(name);
    else this.#perMetric.set(name, n - 1);
    this.#total = Math.max(0, this.#total - 1);
  }
}
