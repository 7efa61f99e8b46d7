import { TokenBucket } from "../lib/rate/token-bucket.js";
import type { ClusterLimits } from "../registry/index.js";
import { clusterUpdateHint, GatewayRefusal } from "./refusal.js";

/** The limits a cluster runs under: the gateway's defaults, overridden by what its record sets. */
export function effectiveLimits(defaults: ClusterLimits, overrides: Partial<ClusterLimits>): ClusterLimits {
  return { ...defaults, ...definedOnly(overrides) };
}

/** What a bucket meters: samples of remote-write, or log line bytes of a push. */
type Metered = "samples" | "log_bytes";

/** How a metered quantity reads in messages and which fields and flags set it. */
const METERED = {
  samples: {
    unit: "samples",
    rate: "samples_per_second",
    burst: "samples_burst",
    reason: "rate_limited",
  },
  log_bytes: {
    unit: "log bytes",
    rate: "log_bytes_per_second",
    burst: "log_bytes_burst",
    reason: "log_rate_limited",
  },
} as const;

/** One metered quantity of one cluster: its bucket and how many requests in a row it refused. */
interface Meter {
  readonly bucket: TokenBucket;
  /** Refusals since the last admitted request; drives the growth of `Retry-After`. */
  refusals: number;
}

/**
 * The per-cluster rate limits of the gateway: a samples bucket and a log-bytes bucket per cluster
 * ({@link TokenBucket}), refilled at the cluster's `*_per_second` up to its `*_burst`. A refused
 * request gets a {@link GatewayRefusal} (429) whose `Retry-After` is the time until the request
 * would fit, but at least 2^(k-1) seconds for the k-th refusal in a row, capped at
 * `maxRetryAfterMs`; an admitted request resets k. So a cluster that keeps pushing while over its
 * limit is told to wait longer and longer, and one that backs off is served again at once.
 *
 * Times are Unix milliseconds passed in by the caller. Not safe for concurrent use across threads
 * (a JS event loop is one).
 */
export class ClusterLimiter {
  readonly #meters = new Map<string, Meter>();

  /** `maxRetryAfterMs`: the longest wait a refusal asks for (`gateway.max_retry_after`). */
  constructor(private readonly maxRetryAfterMs: number) {}

  /**
   * Takes `samples` from `cluster`'s samples bucket at `nowMs`, or throws a 429
   * {@link GatewayRefusal} and takes nothing.
   */
  takeSamples(cluster: string, limits: ClusterLimits, samples: number, nowMs: number): void {
    this.#take("samples", cluster, limits, samples, nowMs);
  }

  /**
   * Takes `bytes` (uncompressed log line bytes) from `cluster`'s log bucket at `nowMs`, or throws
   * a 429 {@link GatewayRefusal} and takes nothing. For the logs push routes.
   */
  takeLogBytes(cluster: string, limits: ClusterLimits, bytes: number, nowMs: number): void {
    this.#take("log_bytes", cluster, limits, bytes, nowMs);
  }

  /**
   * Refuses (throws the 429) when `cluster`'s samples bucket holds nothing: a request of any size
   * would be refused, so it is answered before its body is read or decoded.
   */
  checkSamplesLeft(cluster: string, limits: ClusterLimits, nowMs: number): void {
    this.#checkLeft("samples", cluster, limits, nowMs);
  }

  /** As {@link checkSamplesLeft}, for `cluster`'s log-bytes bucket (the logs push routes). */
  checkLogBytesLeft(cluster: string, limits: ClusterLimits, nowMs: number): void {
    this.#checkLeft("log_bytes", cluster, limits, nowMs);
  }

  /** Gives back samples taken for a request that was not kept (the ingest refused it, 429/5xx). */
  refundSamples(cluster: string, samples: number, nowMs: number): void {
    this.#meters.get(key("samples", cluster))?.bucket.refund(samples, nowMs);
  }

  /** Gives back log bytes taken for a push that was not kept (the logs ingest refused it, 429/5xx). */
  refundLogBytes(cluster: string, bytes: number, nowMs: number): void {
    this.#meters.get(key("log_bytes", cluster))?.bucket.refund(bytes, nowMs);
  }

  /** Drops the state of a cluster that was removed. */
  forget(cluster: string): void {
    this.#meters.delete(key("samples", cluster));
    this.#meters.delete(key("log_bytes", cluster));
  }

  #checkLeft(what: Metered, cluster: string, limits: ClusterLimits, nowMs: number): void {
    const meter = this.#meter(what, cluster, limits, nowMs);
    if (!meter.bucket.limited || meter.bucket.tokens(nowMs) >= 1) return;
    throw this.#refusal(what, cluster, meter, undefined, meter.bucket.take(1, nowMs));
  }

  #take(what: Metered, cluster: string, limits: ClusterLimits, n: number, nowMs: number): void {
    const meter = this.#meter(what, cluster, limits, nowMs);
    const waitMs = meter.bucket.take(n, nowMs);
    if (waitMs === 0) {
      meter.refusals = 0;
      return;
    }
    throw this.#refusal(what, cluster, meter, n, waitMs);
  }

  #meter(what: Metered, cluster: string, limits: ClusterLimits, nowMs: number): Meter {
    const m = METERED[what];
    const k = key(what, cluster);
    let meter = this.#meters.get(k);
    if (meter === undefined) {
      meter = { bucket: new TokenBucket(limits[m.rate], limits[m.burst], nowMs), refusals: 0 };
      this.#meters.set(k, meter);
    } else {
      meter.bucket.configure(limits[m.rate], limits[m.burst], nowMs);
    }
    return meter;
  }

  #refusal(
    what: Metered,
    cluster: string,
    meter: Meter,
    n: number | undefined,
    waitMs: number,
  ): GatewayRefusal {
    const m = METERED[what];
    meter.refusals++;
    const capSeconds = Math.max(1, Math.floor(this.maxRetryAfterMs / 1000));
    const growth = 2 ** Math.min(meter.refusals - 1, 30);
    const retryAfter = Math.min(capSeconds, Math.max(Math.ceil(waitMs / 1000), growth));
    const { rate, burst } = meter.bucket;
    const request =
      n === undefined
        ? "the cluster has used up its budget"
        : n > burst
          ? `this request of ${n} ${m.unit} is larger than the burst and is admitted only once the bucket is full`
          : `this request of ${n} ${m.unit} does not fit in what is left`;
    const message =
      `cluster ${cluster} is over its limit of ${rate} ${m.unit}/s (burst ${burst}): ${request}; ` +
      `nothing of it was kept, retry after ${retryAfter}s. Raise the limit with ` +
      `\`${clusterUpdateHint(cluster, flag(m.rate))} N\` (and --${flag(m.burst)} N), ` +
      `or gateway.default_limits.${m.rate} for every cluster`;
    return new GatewayRefusal(m.reason, message, { "retry-after": String(retryAfter) });
  }
}

function key(what: Metered, cluster: string): string {
  return `${what}\u0000${cluster}`;
}

/** `samples_per_second` → `samples-per-second`. */
function flag(field: string): string {
  return field.replaceAll("_", "-");
}

function definedOnly(limits: Partial<ClusterLimits>): Partial<ClusterLimits> {
  const out: Partial<Record<keyof ClusterLimits, number>> = {};
  for (const [name, value] of Object.entries(limits) as [keyof ClusterLimits, number | undefined][]) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}
