/**
 * An OTLP/HTTP logs body (`POST /otlp/v1/logs`) as it arrives, from `Content-Type` and
 * `Content-Encoding` to the same {@link PushRequest} a Loki push body decodes to, with the expansion
 * capped as for Loki push:
 * - `application/x-protobuf` or `application/protobuf`: an `ExportLogsServiceRequest` in protobuf;
 * - `application/json`: the same in OTLP/JSON;
 * - `Content-Encoding` absent, `identity` or `gzip` (the only compression OTLP/HTTP defines).
 */
import { gunzipSync } from "node:zlib";
import { type PushBody, type PushDecodeLimits, PushError, type PushRequest } from "../loki/index.js";
import { decodeExportLogsServiceRequestJson } from "./logs-json.js";
import { decodeExportLogsServiceRequest } from "./logs-proto.js";
import { type OtlpLogsMapping, otlpLogsToPush } from "./to-loki.js";

/** The encoding of an OTLP/HTTP body, from its `Content-Type`. */
export type OtlpFormat = "protobuf" | "json";

/**
 * The format a `Content-Type` announces (parameters and case ignored). OTLP/HTTP requires the header,
 * so a missing one, like any other type, throws {@link PushError} `unsupported_media_type`.
 */
export function otlpFormat(contentType: string | undefined): OtlpFormat {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  throw new PushError(
    "unsupported_media_type",
    `unsupported Content-Type ${JSON.stringify(contentType ?? "")}: OTLP/HTTP logs take application/x-protobuf or application/json`,
  );
}

/**
 * Decodes an OTLP/HTTP logs body and lays it out as Loki streams ({@link otlpLogsToPush}, with
 * `mapping`). Throws {@link PushError}: `unsupported_media_type` (415) for a `Content-Type` or
 * `Content-Encoding` it does not speak, `too_large` (413) when the body is or inflates to more than
 * `limits.maxDecompressedBytes` (inflation stops there), `corrupt` (400) for gzip that does not
 * inflate, `malformed` (400) for a body that is not an `ExportLogsServiceRequest`.
 */
export function decodeOtlpLogsBody(
  req: PushBody,
  limits: PushDecodeLimits,
  mapping: OtlpLogsMapping = {},
): PushRequest {
  const format = otlpFormat(req.contentType);
  const encoding = (req.contentEncoding ?? "").trim().toLowerCase();
  let raw: Uint8Array;
  if (encoding === "" || encoding === "identity") {
    if (req.body.length > limits.maxDecompressedBytes) throw tooLarge(req.body.length, limits);
    raw = req.body;
  } else if (encoding === "gzip") {
    raw = gunzip(req.body, limits);
    if (raw.length > limits.maxDecompressedBytes) throw tooLarge(raw.length, limits);
  } else {
    throw new PushError(
      "unsupported_media_type",
      `unsupported Content-Encoding ${JSON.stringify(req.contentEncoding)}: OTLP/HTTP logs take gzip or none`,
    );
  }
  const logs =
    format === "json" ? decodeExportLogsServiceRequestJson(raw) : decodeExportLogsServiceRequest(raw);
  return otlpLogsToPush(logs, mapping);
}

function gunzip(body: Uint8Array, limits: PushDecodeLimits): Uint8Array {
  try {
    return gunzipSync(body, { maxOutputLength: Math.max(1, limits.maxDecompressedBytes) });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(undefined, limits);
    const why = err instanceof Error ? err.message : String(err);
    throw new PushError("corrupt", `OTLP logs: gzip body does not decompress: ${why}`, { cause: err });
  }
}

function tooLarge(size: number | undefined, limits: PushDecodeLimits): PushError {
  const what = size === undefined ? "more than" : `${size} bytes, more than`;
  return new PushError(
    "too_large",
    `OTLP logs body decompresses to ${what} the limit of ${limits.maxDecompressedBytes} bytes; send smaller batches or raise ${limits.setting}`,
  );
}
