import { Counter, type Registry } from "prom-client";
import { newCtx } from "../../model/context.js";
import type { Labels } from "../../model/labels.js";
import { HttpError } from "../../server/errors.js";
import type { RawLabels } from "../../wire/remote-write/raw-labels.js";
import type { WriteSink } from "../../wire/remote-write/write-sink.js";
import { IngestRateLimiter, labelLimitProblem, type TenantLimits } from "../limits/index.js";
import {
  type Appendable,
  AppendError,
  type Appender,
  type HandleAppender,
  isHandleAppender,
} from "../storage/interface.js";
import type { IngestStats } from "./ingest-stats.js";
import type { WriteExtras, WriteExtrasBatch } from "./write-extras.js";

/** What a write did; the HTTP layer answers 204 when nothing was refused. */
export interface ReceiveResult {
  readonly samplesWritten: number;
  readonly refused: number;
  /** The first few refusal messages, for the 400 body. */
  readonly errors: readonly string[];
  /** Response headers the protocol asks for (remote-write 2.0's written counts). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Exemplars kept. */
  readonly exemplarsWritten?: number;
}

const MAX_REPORTED_ERRORS = 5;

/**
 * The HTTP answer to a write: 204 when everything was written, else 400 (never retried: the same
 * samples would be refused again) listing what was refused. The valid samples are already kept.
 */
export function writeOutcome(result: ReceiveResult): {
  status: number;
  body: string;
  headers: Record<string, string>;
} {
  const headers = { ...result.headers };
  if (result.refused === 0) return { status: 204, body: "", headers };
  const more =
    result.refused > result.errors.length ? `\n(and ${result.refused - result.errors.length} more)` : "";
  return {
    status: 400,
    body: `${result.refused} samples refused, ${result.samplesWritten} written:\n${result.errors.join("\n")}${more}\n`,
    headers,
  };
}

/**
 * The write path every ingest protocol shares (remote-write, OTLP): label limits for new series,
 * appends with per-sample refusals, the tenant's rate limit over the whole request, one commit, and
 * the per-tenant counters and stats.
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
    /** Where metadata and exemplars go; without it they are dropped. */
    readonly extras?: WriteExtras,
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

  /** Starts a request for `tenant`. Nothing it appends is kept before {@link SampleWriter.commit}. */
  begin(tenant: string): SampleWriter {
    return new SampleWriter(this, tenant, this.store.appender(newCtx([tenant])), this.extras?.begin(tenant));
  }

  /**
   * Takes `samples` from `tenant`'s rate budget: throws 429 (with `Retry-After`) past the ingestion
   * rate, or 413 when the request alone exceeds the burst (used by {@link SampleWriter.commit}).
   */
  takeRate(tenant: string, samples: number): void {
    const refusal = this.#rate.take(tenant, samples, Date.now());
    if (!refusal) return;
    this.#refused.inc({ tenant, reason: "rate_limited" }, samples);
    throw refusal.never
      ? new HttpError("too_large", refusal.message)
      : new HttpError("rate_limited", refusal.message, {
          "retry-after": String(refusal.retryAfterSeconds),
        });
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

/**
 * One request's writes: series checks, appends and the final commit. It is also the sink of the
 * remote-write decoders ({@link WriteSink}): each series gets a handle, refused series keep theirs
 * so that their samples are counted as refused, and on a store with the hot path
 * ({@link HandleAppender}) an existing series is found from the raw label bytes without building a
 * string. Not safe for concurrent use.
 */
export class SampleWriter implements WriteSink {
  #written = 0;
  #refused = 0;
  #histogramsRefused = 0;
  readonly #errors: string[] = [];
  readonly #app: Appender;
  readonly #fast: HandleAppender | undefined;
  /** Sink handle → the appender's handle, or -1 when the series was refused. */
  #handles = new Int32Array(64);
  #nHandles = 0;
  /** Sink handle → labels, when the store has no hot path. */
  readonly #labels: (Labels | undefined)[] = [];
  /** Sink handle → why its series was refused. */
  readonly #reasons: (string | undefined)[] = [];
  readonly #checkNew = (labels: Labels): string | undefined =>
    labelLimitProblem(labels, this.tenant, this.pipeline.limits);
  /** The series the decoder is on (its labels stay valid until its next series) and its handle. */
  #current: RawLabels | undefined;
  #currentHandle = -1;

  constructor(
    private readonly pipeline: IngestPipeline,
    readonly tenant: string,
    app: Appender,
    private readonly extras?: WriteExtrasBatch,
  ) {
    this.#app = app;
    this.#fast = isHandleAppender(app) ? app : undefined;
  }

  /** Whether a series may be written under the label limits; if not, its `samples` are refused. */
  admitSeries(labels: Labels, samples: number): boolean {
    const problem = this.#checkNew(labels);
    if (problem === undefined) return true;
    this.refuse("limit", problem, samples);
    return false;
  }

  /** Appends one sample; a sample the store refuses is counted and reported, not thrown. */
  append(labels: Labels, t: number, v: number): void {
    try {
      this.#app.append(labels, t, v);
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

  /** {@link WriteSink.series}: checks the series and returns its handle (refused ones get one too). */
  series(raw: RawLabels): number {
    const h = this.#nHandles++;
    if (h === this.#handles.length) {
      const grown = new Int32Array(h * 2);
      grown.set(this.#handles);
      this.#handles = grown;
    }
    this.#handles[h] = -1;
    this.#current = raw;
    this.#currentHandle = h;
    const problem = raw.problem();
    if (problem !== undefined) {
      this.#refuseSeries(h, "invalid_labels", problem.message);
      return h;
    }
    try {
      if (this.#fast !== undefined) {
        this.#handles[h] = this.#fast.handle(raw, this.#checkNew);
      } else {
        const labels = raw.toLabels();
        const limit = this.#checkNew(labels);
        if (limit !== undefined) throw new AppendError("limit", limit);
        this.#labels[h] = labels;
        this.#handles[h] = 0;
      }
    } catch (err) {
      if (!(err instanceof AppendError)) throw err;
      this.#refuseSeries(h, err.code, err.message);
    }
    return h;
  }

  /** {@link WriteSink.sample}. */
  sample(handle: number, t: number, v: number): void {
    const one = SCRATCH;
    one.ts[0] = t;
    one.values[0] = v;
    this.samples(handle, 1, one.ts, one.values);
  }

  /** {@link WriteSink.samples}: appends a run of samples of one series. */
  samples(handle: number, count: number, timestamps: Float64Array, values: Float64Array): void {
    const to = this.#handles[handle]!;
    if (to < 0) {
      this.refuse(this.#reasons[handle] ?? "invalid_labels", undefined, count);
      return;
    }
    const fast = this.#fast;
    for (let i = 0; i < count; i++) {
      try {
        if (fast !== undefined) fast.appendAt(to, timestamps[i]!, values, i);
        else this.#app.append(this.#labels[handle]!, timestamps[i]!, values[i]!);
        this.#written++;
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
        this.refuse(err.code, err.message, 1);
      }
    }
  }

  /** {@link WriteSink.histogram}: native histograms are not stored yet; each one is refused. */
  histogram(handle: number): void {
    const message =
      this.#histogramsRefused === 0 && this.#handles[handle]! >= 0
        ? "native histograms are not supported yet; their samples were refused"
        : undefined;
    this.#histogramsRefused++;
    this.refuse("native_histogram", message, 1);
  }

  /** {@link WriteSink.metadata}: to the extras batch (2.0: only for an accepted series). */
  metadata(handle: number, type: number, familyName: string, help: string, unit: string): void {
    if (handle < 0) this.extras?.metadata(undefined, type, familyName, help, unit);
    else if (handle === this.#currentHandle && this.#handles[handle]! >= 0)
      this.extras?.metadata(this.#current, type, familyName, help, unit);
  }

  /** {@link WriteSink.exemplar}: to the extras batch, for an accepted series. */
  exemplar(handle: number, labels: RawLabels, value: number, t: number): void {
    if (handle === this.#currentHandle && this.#handles[handle]! >= 0)
      this.extras?.exemplar(handle, this.#current!, labels, value, t);
  }

  /** Samples written so far in this request. */
  get written(): number {
    return this.#written;
  }

  /**
   * Takes the request's samples from the tenant's rate budget (429/413 and nothing kept if refused),
   * commits what was appended (durable before it resolves) and reports the request. `admit`, when
   * given, is asked first with the request's sample count (written and refused); what it throws
   * refuses the request with nothing kept (the gateway's per-cluster limits).
   */
  async commit(admit?: (samples: number) => void): Promise<ReceiveResult> {
    try {
      admit?.(this.#written + this.#refused);
      this.pipeline.takeRate(this.tenant, this.#written + this.#refused);
      await this.#app.commit();
    } catch (err) {
      this.#app.rollback();
      throw err;
    }
    this.pipeline.countWritten(this.tenant, this.#written);
    const exemplarsWritten = this.extras?.commit() ?? 0;
    return { samplesWritten: this.#written, refused: this.#refused, errors: this.#errors, exemplarsWritten };
  }

  /** Discards everything appended (an error mid-request). */
  rollback(): void {
    this.#app.rollback();
  }

  #refuseSeries(h: number, reason: string, message: string): void {
    this.#reasons[h] = reason;
    if (this.#errors.length < MAX_REPORTED_ERRORS) this.#errors.push(message);
  }
}

/** One-sample columns for {@link SampleWriter.sample}. */
const SCRATCH = { ts: new Float64Array(1), values: new Float64Array(1) };
