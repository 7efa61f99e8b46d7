import { Counter, type Registry } from "prom-client";
import { newCtx } from "../../model/context.js";
import type { Labels } from "../../model/labels.js";
import { HttpError } from "../../server/errors.js";
import { IngestRateLimiter, labelLimitProblem, type TenantLimits } from "../limits/index.js";
import { type Appendable, AppendError, type Appender } from "../storage/interface.js";
import type { IngestStats } from "./ingest-stats.js";

/** What a write did; the HTTP layer answers 204 when nothing was refused. */
export interface ReceiveResult {
  readonly samplesWritten: number;
  readonly refused: number;
  /** The first few refusal messages, for the 400 body. */
  readonly errors: readonly string[];
}

const MAX_REPORTED_ERRORS = 5;

/**
 * The HTTP answer to a write: 204 when everything was written, else 400 (never retried: the same
 * samples would be refused again) listing what was refused. The valid samples are already kept.
 */
export function writeOutcome(result: ReceiveResult): { status: number; body: string } {
  if (result.refused === 0) return { status: 204, body: "" };
  const more =
    result.refused > result.errors.length ? `\n(and ${result.refused - result.errors.length} more)` : "";
  return {
    status: 400,
    body: `${result.refused} samples refused, ${result.samplesWritten} written:\n${result.errors.join("\n")}${more}\n`,
  };
}

/**
 * The write path every ingest protocol shares (remote-write, OTLP): the tenant's rate limit over
 * the whole request, label limits per series, appends with per-sample refusals, one commit, and the
 * per-tenant counters and stats.
 */
export class IngestPipeline {
  readonly #written: Counter<"tenant">;
  readonly #refused: Counter<"tenant" | "reason">;
  readonly #rate: IngestRateLimiter;

  constructor(
    readonly store: Appendable,
    readonly stats: IngestStats,
    readonly limits: TenantLimits,
    metrics: Registry,
  ) {
    this.#rate = new IngestRateLimiter(limits);
    this.#written = new Counter({
      name: "mirador_ingest_samples_total",
      help: "Samples accepted, per tenant.",
      labelNames: ["tenant"],
      registers: [metrics],
    });
    this.#refused = new Counter({
      name: "mirador_ingest_samples_refused_total",
      help: "Samples refused, per tenant and reason.",
      labelNames: ["tenant", "reason"],
      registers: [metrics],
    });
  }

  /**
   * Starts a request of `samples` samples for `tenant`: throws 429 (with `Retry-After`) past the
   * tenant's ingestion rate, or 413 when the request alone exceeds the burst; nothing is kept then.
   */
  begin(tenant: string, samples: number): SampleWriter {
    const refusal = this.#rate.take(tenant, samples, Date.now());
    if (refusal) {
      this.#refused.inc({ tenant, reason: "rate_limited" }, samples);
      throw refusal.never
        ? new HttpError("too_large", refusal.message)
        : new HttpError("rate_limited", refusal.message, {
            "retry-after": String(refusal.retryAfterSeconds),
          });
    }
    return new SampleWriter(this, tenant, this.store.appender(newCtx([tenant])));
  }

  /** Counts refused samples (used by {@link SampleWriter}). */
  countRefused(tenant: string, reason: string, n: number): void {
    this.#refused.inc({ tenant, reason }, n);
  }

  /** Counts written samples and updates the tenant's stats (used by {@link SampleWriter}). */
  countWritten(tenant: string, n: number): void {
    this.#written.inc({ tenant }, n);
    this.stats.record(tenant, n, Date.now());
  }
}

/** One request's writes: series checks, appends and the final commit. Not safe for concurrent use. */
export class SampleWriter {
  #written = 0;
  #refused = 0;
  readonly #errors: string[] = [];

  constructor(
    private readonly pipeline: IngestPipeline,
    readonly tenant: string,
    private readonly app: Appender,
  ) {}

  /** Whether a series may be written under the label limits; if not, its `samples` are refused. */
  admitSeries(labels: Labels, samples: number): boolean {
    const problem = labelLimitProblem(labels, this.tenant, this.pipeline.limits);
    if (problem === undefined) return true;
    this.refuse("label_limit", problem, samples);
    return false;
  }

  /** Appends one sample; a sample the store refuses is counted and reported, not thrown. */
  append(labels: Labels, t: number, v: number): void {
    try {
      this.app.append(labels, t, v);
      this.#written++;
    } catch (err) {
      if (!(err instanceof AppendError)) throw err;
      this.refuse(err.code, err.message, 1);
    }
  }

  /** Refuses `n` samples for `reason`, with a message for the sender (none when already given). */
  refuse(reason: string, message: string | undefined, n: number): void {
    this.#refused += n;
    this.pipeline.countRefused(this.tenant, reason, n);
    if (message !== undefined && this.#errors.length < MAX_REPORTED_ERRORS) this.#errors.push(message);
  }

  /** Commits what was appended (durable before it resolves) and reports the request. */
  async commit(): Promise<ReceiveResult> {
    try {
      await this.app.commit();
    } catch (err) {
      this.app.rollback();
      throw err;
    }
    this.pipeline.countWritten(this.tenant, this.#written);
    return { samplesWritten: this.#written, refused: this.#refused, errors: this.#errors };
  }

  /** Discards everything appended (an error mid-request). */
  rollback(): void {
    this.app.rollback();
  }
}
