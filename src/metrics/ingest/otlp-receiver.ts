import { gunzipSync } from "node:zlib";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { HttpError } from "../../server/errors.js";
import { WireError } from "../../wire/errors.js";
import {
  decodeExportMetricsServiceRequest,
  decodeExportMetricsServiceRequestJson,
  otlpToSamples,
} from "../../wire/otlp/index.js";
import type { IngestPipeline } from "./sample-writer.js";

/** The answer to an OTLP export: status, content type and an `ExportMetricsServiceResponse` body. */
export interface OtlpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array | string;
}

/**
 * Accepts OTLP/HTTP metrics (`ExportMetricsServiceRequest` as protobuf or JSON, optionally gzip'd)
 * for one tenant, maps them to Prometheus series as Prometheus's own OTLP receiver does, and writes
 * them through the shared ingest pipeline. As the OTLP specification asks, a request whose points
 * were partly refused is answered 200 with `partial_success` (so it is not retried), a malformed one
 * 400, an unsupported media type 415, a too large one 413, and a rate-limited one 429.
 */
export class OtlpReceiver {
  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly maxDecompressedBytes: number,
  ) {}

  async receive(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    body: Uint8Array,
  ): Promise<OtlpAnswer> {
    const json = isJson(headers.contentType);
    const raw = this.#decompress(body, headers.contentEncoding);
    let req: ReturnType<typeof decodeExportMetricsServiceRequest>;
    try {
      req = json ? decodeExportMetricsServiceRequestJson(raw) : decodeExportMetricsServiceRequest(raw);
    } catch (err) {
      if (err instanceof WireError)
        throw new HttpError("bad_data", `corrupt OTLP metrics request: ${err.message}`);
      throw err;
    }
    const { samples, problems } = otlpToSamples(req);
    const w = this.pipeline.begin(tenant);
    try {
      for (const p of problems) w.refuse("otlp_unsupported", p, 1);
      const admitted = new Map<string, boolean>();
      for (const s of samples) {
        const key = s.labels.key();
        let ok = admitted.get(key);
        if (ok === undefined) {
          ok = w.admitSeries(s.labels, 1);
          admitted.set(key, ok);
        } else if (!ok) {
          w.refuse("limit", undefined, 1);
        }
        if (ok) w.append(s.labels, s.t, s.v);
      }
    } catch (err) {
      w.rollback();
      throw err;
    }
    const result = await w.commit();
    const message = result.errors.join("; ");
    return json ? jsonAnswer(result.refused, message) : protoAnswer(result.refused, message);
  }

  #decompress(body: Uint8Array, encoding: string | undefined): Uint8Array {
    const e = (encoding ?? "").trim().toLowerCase();
    if (e === "" || e === "identity") {
      if (body.length > this.maxDecompressedBytes) throw tooLarge(this.maxDecompressedBytes);
      return body;
    }
    if (e !== "gzip")
      throw new HttpError(
        "unsupported_media_type",
        `unsupported Content-Encoding ${JSON.stringify(encoding)}: OTLP bodies may be gzip or uncompressed`,
      );
    try {
      return gunzipSync(body, { maxOutputLength: this.maxDecompressedBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
        throw tooLarge(this.maxDecompressedBytes);
      throw new HttpError("bad_data", `corrupt gzip body: ${(err as Error).message}`);
    }
  }
}

function tooLarge(max: number): HttpError {
  return new HttpError(
    "too_large",
    `the OTLP request is larger than ${max} bytes uncompressed; raise metrics.max_write_decompressed_bytes to accept more`,
  );
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return true;
  if (type === "application/x-protobuf" || type === "application/protobuf") return false;
  throw new HttpError(
    "unsupported_media_type",
    `unsupported Content-Type ${JSON.stringify(contentType ?? "")}: OTLP/HTTP takes application/x-protobuf or application/json`,
  );
}

/** `ExportMetricsServiceResponse{partial_success = 1 {rejected_data_points = 1, error_message = 2}}`. */
function protoAnswer(rejected: number, message: string): OtlpAnswer {
  const w = new ProtobufWriter();
  if (rejected > 0) {
    w.tag(1, 2);
    const mark = w.fork();
    w.tag(1, 0);
    w.int64(rejected);
    if (message !== "") {
      w.tag(2, 2);
      w.string(message);
    }
    w.join(mark);
  }
  return { status: 200, contentType: "application/x-protobuf", body: w.finish() };
}

function jsonAnswer(rejected: number, message: string): OtlpAnswer {
  const body =
    rejected > 0 ? { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: message } } : {};
  return { status: 200, contentType: "application/json", body: JSON.stringify(body) };
}
