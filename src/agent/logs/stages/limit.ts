/**
 * The `limit` stage: a token bucket of `burst` lines refilled at `rate` lines per second, on the
 * caller's clock. With `by_label_name` each value of that label has its own bucket (lines without
 * the label are not limited); at most `max_distinct_labels` buckets are kept, the least recently
 * used forgotten first. Lines over the limit are dropped and counted as `ratelimit`.
 *
 * Promtail's `drop: false` blocks the pipeline until the bucket refills. A synchronous pipeline
 * driven by the tailer cannot block, and waiting would only move the backlog into memory, so this
 * stage always drops: `drop: true` (or no `drop`) is accepted, `drop: false` is rejected with an error.
 */
import type { ConfigReader } from "./config.js";
import { filterStage, type Sink, type StageEnv } from "./sink.js";

/** Drop reason of the `limit` stage. */
export const RATELIMIT_REASON = "ratelimit";

/** A token bucket on a caller-driven clock (Unix milliseconds). */
export class TokenBucket {
  #tokens: number;
  #lastMs: number | undefined;

  constructor(
    /** Tokens added per second. */
    readonly rate: number,
    /** Capacity, and the tokens of a new bucket. */
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  /** Takes one token at `nowMs`; false when none is left. A clock going backwards adds nothing. */
  take(nowMs: number): boolean {
    if (this.#lastMs !== undefined && nowMs > this.#lastMs) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#lastMs) / 1000) * this.rate);
    }
    if (this.#lastMs === undefined || nowMs > this.#lastMs) this.#lastMs = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Compiles a `limit` stage. */
export function limitStage(r: ConfigReader, next: Sink, env: StageEnv): Sink {
  const rate = r.optNumber("rate", 0);
  const burst = r.optNumber("burst", 1, true);
  const byLabel = r.optString("by_label_name");
  const maxDistinct = r.optNumber("max_distinct_labels", 1, true) ?? 10_000;
  const drop = r.bool("drop", true);
  r.done();
  if (rate === undefined || rate === 0) throw r.error("rate", "is required: lines per second (> 0)");
  if (burst === undefined) throw r.error("burst", "is required: the most lines let through at once (≥ 1)");
  if (!drop) {
    throw r.error(
      "drop",
      "false (block until the rate allows) is not supported by the agent: lines over the limit are always dropped and counted; remove the option or set drop: true",
    );
  }
  if (byLabel === undefined) {
    const bucket = new TokenBucket(rate, burst);
    return filterStage(next, env, (_e, now) => (bucket.take(now) ? undefined : RATELIMIT_REASON));
  }
  const buckets = new Map<string, TokenBucket>();
  return filterStage(next, env, (e, now) => {
    const v = e.labels.get(byLabel);
    if (v === undefined) return undefined;
    let b = buckets.get(v);
    if (b === undefined) {
      b = new TokenBucket(rate, burst);
      if (buckets.size >= maxDistinct) buckets.delete(buckets.keys().next().value!);
    } else {
      buckets.delete(v); // re-inserted below: the Map's order is the recency order
    }
    buckets.set(v, b);
    return b.take(now) ? undefined : RATELIMIT_REASON;
  });
}
