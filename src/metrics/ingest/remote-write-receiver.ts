import { Counter, type Registry } from "prom-client";
import { newCtx } from "../../model/context.js";
import { Labels, METRIC_NAME } from "../../model/labels.js";
import { HttpError } from "../../server/errors.js";
import { WireError } from "../../wire/errors.js";
import { decodeWriteRequestV1, type TimeSeriesV1 } from "../../wire/remote-write/v1.js";
import { SnappyError, snappyDecompress } from "../../wire/snappy.js";
import {
  IngestRateLimiter,
  labelLimitProblem,
  type RateRefusal,
  type TenantLimits,
} from "../limits/index.js";
import { type Appendable, AppendError } from "../storage/interface.js";
import type { IngestStats } from "./ingest-stats.js";

/** Limits of the remote-write receiver, with the settings that change them (for error messages). */
export interface ReceiverLimits {
  /** Largest body after snappy decompression: `metrics.max_write_decompressed_bytes`. */
  readonly maxDecompressedBytes: number;
  /** Per-tenant label and rate limits. */
  readonly tenants: TenantLimits;
}

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
 * Accepts Prometheus remote-write 1.0 bodies (protobuf `prometheus.WriteRequest`, snappy block
 * compressed) for one tenant. Transport problems throw an {@link HttpError} (415 for a content type
 * or encoding it does not speak, 413 past the size limit, 400 for a corrupt body); refused samples
 * are skipped and reported while the rest of the request is kept, as Prometheus's receiver does.
 */
export class RemoteWriteReceiver {
  readonly #written: Counter<"tenant">;
  readonly #refused: Counter<"tenant" | "reason">;
  readonly #rate: IngestRateLimiter;

  constructor(
    private readonly store: Appendable,
    private readonly stats: IngestStats,
    private readonly limits: ReceiverLimits,
    metrics: Registry,
  ) {
    this.#rate = new IngestRateLimiter(limits.tenants);
    this.#written = new Counter({
      name: "mirador_ingest_samples_total",
      help: "Samples accepted by remote-write, per tenant.",
      labelNames: ["tenant"],
      registers: [metrics],
    });
    this.#refused = new Counter({
      name: "mirador_ingest_samples_refused_total",
      help: "Samples refused by remote-write, per tenant and reason.",
      labelNames: ["tenant", "reason"],
      registers: [metrics],
    });
  }

  /**
   * Checks the headers of a write, decompresses and decodes the body, and appends every sample for
   * `tenant`. Resolves once the accepted samples are committed.
   */
  async receive(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    body: Uint8Array,
  ): Promise<ReceiveResult> {
    checkContentType(headers.contentType);
    checkContentEncoding(headers.contentEncoding);
    const raw = decompress(body, this.limits.maxDecompressedBytes);
    let req: ReturnType<typeof decodeWriteRequestV1>;
    try {
      req = decodeWriteRequestV1(raw);
    } catch (err) {
      if (err instanceof WireError)
        throw new HttpError("bad_data", `corrupt remote-write body: ${err.message}`);
      throw err;
    }
    this.#checkRate(tenant, req.timeseries);
    const app = this.store.appender(newCtx([tenant]));
    let written = 0;
    let refused = 0;
    const errors: string[] = [];
    const refuse = (reason: string, message: string, n: number) => {
      refused += n;
      this.#refused.inc({ tenant, reason }, n);
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(message);
    };
    try {
      for (const ts of req.timeseries) {
        const labelsOrError = seriesLabels(ts);
        if (typeof labelsOrError === "string") {
          refuse("invalid_labels", labelsOrError, ts.samples.length + ts.histogramCount);
          continue;
        }
        const overLimit = labelLimitProblem(labelsOrError, tenant, this.limits.tenants);
        if (overLimit !== undefined) {
          refuse("label_limit", overLimit, ts.samples.length + ts.histogramCount);
          continue;
        }
        if (ts.histogramCount > 0) {
          refuse(
            "native_histogram",
            `native histograms are not supported yet (series ${labelsOrError.toString()})`,
            ts.histogramCount,
          );
        }
        for (const s of ts.samples) {
          try {
            app.append(labelsOrError, s.timestamp, s.value);
            written++;
          } catch (err) {
            if (!(err instanceof AppendError)) throw err;
            refuse(err.code, err.message, 1);
          }
        }
      }
      await app.commit();
    } catch (err) {
      app.rollback();
      throw err;
    }
    this.#written.inc({ tenant }, written);
    this.stats.record(tenant, written, Date.now());
    return { samplesWritten: written, refused, errors };
  }

  #checkRate(tenant: string, timeseries: readonly TimeSeriesV1[]): void {
    let samples = 0;
    for (const ts of timeseries) samples += ts.samples.length + ts.histogramCount;
    const refusal = this.#rate.take(tenant, samples, Date.now());
    if (refusal) {
      this.#refused.inc({ tenant, reason: "rate_limited" }, samples);
      throw rateRefusal(refusal);
    }
  }
}

/**
 * The tenant's ingestion rate, for the whole request: 429 with `Retry-After` when over the rate
 * (the sender retries the whole request later, nothing of it was kept), 413 when the request alone
 * is larger than the burst (retrying cannot help).
 */
function rateRefusal(refusal: RateRefusal): HttpError {
  return refusal.never
    ? new HttpError("too_large", refusal.message)
    : new HttpError("rate_limited", refusal.message, { "retry-after": String(refusal.retryAfterSeconds) });
}

/** The series' labels, or why they are invalid. Empty values are dropped, as they mean "no label". */
function seriesLabels(ts: TimeSeriesV1): Labels | string {
  const flat: string[] = [];
  const seen = new Set<string>();
  for (const l of ts.labels) {
    if (l.name === "") return "a label has an empty name";
    if (seen.has(l.name)) return `label name ${JSON.stringify(l.name)} is repeated`;
    seen.add(l.name);
    flat.push(l.name, l.value);
  }
  const labels = Labels.fromPairs(flat);
  if (labels.get(METRIC_NAME) === "")
    return `series has no metric name (${METRIC_NAME}): ${labels.toString()}`;
  return labels;
}

function checkContentType(value: string | undefined): void {
  const [type = "", ...params] = (value ?? "").split(";").map((s) => s.trim().toLowerCase());
  if (type !== "application/x-protobuf") {
    throw new HttpError(
      "unsupported_media_type",
      `unsupported Content-Type ${JSON.stringify(value ?? "")}: remote-write needs application/x-protobuf`,
    );
  }
  for (const p of params) {
    if (p.startsWith("proto=") && p !== "proto=prometheus.writerequest") {
      throw new HttpError(
        "unsupported_media_type",
        `unsupported remote-write message ${p.slice(6)}: this receiver speaks remote-write 1.0 (prometheus.WriteRequest)`,
      );
    }
  }
}

function checkContentEncoding(value: string | undefined): void {
  if ((value ?? "").trim().toLowerCase() !== "snappy") {
    throw new HttpError(
      "unsupported_media_type",
      `unsupported Content-Encoding ${JSON.stringify(value ?? "")}: remote-write bodies must be snappy block compressed`,
    );
  }
}

function decompress(body: Uint8Array, max: number): Uint8Array {
  try {
    return snappyDecompress(body, max);
  } catch (err) {
    if (err instanceof SnappyError && err.code === "too_large") {
      throw new HttpError(
        "too_large",
        `${err.message}; the limit is ${max} bytes after decompression, raise metrics.max_write_decompressed_bytes to accept more`,
      );
    }
    if (err instanceof SnappyError) throw new HttpError("bad_data", `corrupt snappy body: ${err.message}`);
    throw err;
  }
}
