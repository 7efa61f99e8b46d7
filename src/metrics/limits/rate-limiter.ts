import type { TenantLimits } from "./limits.js";

/** The refusal of a write by the rate limiter: a 429 with the time after which it may pass. */
export interface RateRefusal {
  readonly message: string;
  /** Seconds until the request would fit, for `Retry-After`. */
  readonly retryAfterSeconds: number;
  /** Whether the request can never pass (larger than the burst): then it is a 413-like refusal, not retryable. */
  readonly never: boolean;
}

/**
 * A token bucket per tenant: `ingestion_rate` samples per second, up to `ingestion_burst_size`
 * at once. A request takes all its samples or none, so a refused request is retried whole.
 */
export class IngestRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; lastMs: number }>();

  constructor(private readonly limits: TenantLimits) {}

  /** Takes `samples` tokens for `tenant` at `nowMs`; a refusal says when to retry. */
  take(tenant: string, samples: number, nowMs: number): RateRefusal | undefined {
    const l = this.limits.for(tenant);
    if (l.ingestion_rate <= 0) return undefined;
    const burst = Math.max(l.ingestion_burst_size, l.ingestion_rate);
    if (samples > burst) {
      return {
        message: `a request of ${samples} samples is larger than the ingestion burst of ${burst}; send smaller batches or raise ${this.limits.setting(tenant, "ingestion_burst_size")}`,
        retryAfterSeconds: 0,
        never: true,
      };
    }
    let b = this.#buckets.get(tenant);
    if (!b) {
      b = { tokens: burst, lastMs: nowMs };
      this.#buckets.set(tenant, b);
    }
    b.tokens = Math.min(burst, b.tokens + (Math.max(0, nowMs - b.lastMs) * l.ingestion_rate) / 1000);
    b.lastMs = nowMs;
    if (b.tokens >= samples) {
      b.tokens -= samples;
      return undefined;
    }
    const waitSeconds = Math.ceil((samples - b.tokens) / l.ingestion_rate);
    return {
      message: `ingestion rate limit of ${l.ingestion_rate} samples/s (burst ${burst}) exceeded for tenant ${tenant}; retry later or raise ${this.limits.setting(tenant, "ingestion_rate")}`,
      retryAfterSeconds: Math.max(1, waitSeconds),
      never: false,
    };
  }
}
