import { RateWindow } from "../../lib/rate/rate-window.js";

/** What the fleet view shows of one tenant's ingest. */
export interface TenantIngest {
  readonly tenant: string;
  /** Unix ms of the last accepted write, or undefined if none since start. */
  readonly lastSeenMs: number | undefined;
  /** Accepted samples per second over the last minute. */
  readonly samplesPerSecond: number;
}

/** Per-tenant ingest figures: when each tenant last wrote and at what rate. */
export class IngestStats {
  readonly #tenants = new Map<string, { lastSeenMs: number; rate: RateWindow }>();

  /** Records `samples` accepted for `tenant` at `nowMs`. */
  record(tenant: string, samples: number, nowMs: number): void {
    let t = this.#tenants.get(tenant);
    if (!t) {
      t = { lastSeenMs: nowMs, rate: new RateWindow() };
      this.#tenants.set(tenant, t);
    }
    t.lastSeenMs = nowMs;
    t.rate.add(samples, nowMs);
  }

  /** Figures for `tenant` at `nowMs`. */
  get(tenant: string, nowMs: number): TenantIngest {
    const t = this.#tenants.get(tenant);
    return { tenant, lastSeenMs: t?.lastSeenMs, samplesPerSecond: t ? t.rate.perSecond(nowMs) : 0 };
  }
}
