/**
 * A Loki push body as it arrives over HTTP, from `Content-Type` and `Content-Encoding` to a
 * {@link PushRequest}, with every expansion capped:
 * - `application/json`: JSON, with `Content-Encoding` absent, `identity`, `gzip` or `deflate`;
 * - `application/x-protobuf`, `application/protobuf` or no `Content-Type`: a snappy *block* of a
 *   `logproto.PushRequest`. The snappy is there whether or not `Content-Encoding: snappy` is sent
 *   (Loki's clients mostly do not send it); a `gzip` or `deflate` encoding is undone first, and the
 *   snappy block is inside it.
 */
import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { SnappyError, snappyDecompress } from "../snappy.js";
import { PushError } from "./errors.js";
import { decodePushRequestJson } from "./push-json.js";
import { decodePushRequestProto } from "./push-proto.js";
import type { PushRequest } from "./types.js";

/** The parts of an HTTP push request the decoder needs; header values as received (any case). */
export interface PushBody {
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** The body as read from the socket (the HTTP layer caps its size); borrowed, not kept. */
  readonly body: Uint8Array;
}

/** Caps on what one push may expand to. */
export interface PushDecodeLimits {
  /**
   * Most bytes the body may take once every compression is undone (gzip/deflate, then snappy for
   * protobuf), also applied to an uncompressed body. Past it the push is refused with
   * {@link PushError} `too_large` naming `setting`, before more than this is allocated.
   */
  readonly maxDecompressedBytes: number;
  /** The configuration key that sets {@link PushDecodeLimits.maxDecompressedBytes}, for messages. */
  readonly setting: string;
}

/** The wire format of a push body, from its `Content-Type`. */
export type PushFormat = "protobuf" | "json";

/**
 * The format a `Content-Type` announces: JSON for `application/json`, protobuf for
 * `application/x-protobuf`, `application/protobuf` or none. Anything else throws {@link PushError}
 * `unsupported_media_type`.
 */
export function pushFormat(contentType: string | undefined): PushFormat {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "" || type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  throw new PushError(
    "unsupported_media_type",
    `unsupported Content-Type ${JSON.stringify(contentType)}: Loki push takes application/x-protobuf (snappy) or application/json`,
  );
}

/**
 * Decodes an HTTP push body. Throws {@link PushError}: `unsupported_media_type` (415) for a
 * `Content-Type` or `Content-Encoding` it does not speak, `too_large` (413) past
 * `limits.maxDecompressedBytes`, `corrupt` (400) for compressed data that does not decompress,
 * `malformed` (400) for a body that is not a push request.
 */
export function decodePushBody(req: PushBody, limits: PushDecodeLimits): PushRequest {
  const format = pushFormat(req.contentType);
  const encoding = (req.contentEncoding ?? "").trim().toLowerCase();
  let raw: Uint8Array;
  if (encoding === "" || encoding === "identity") raw = req.body;
  else if (encoding === "snappy") {
    if (format === "json") {
      throw new PushError(
        "unsupported_media_type",
        "Content-Encoding snappy is for protobuf push bodies; send JSON plain, gzip or deflate",
      );
    }
    raw = req.body; // the snappy block itself, undone below
  } else if (encoding === "gzip" || encoding === "deflate") {
    raw = inflate(req.body, encoding, limits);
  } else {
    throw new PushError(
      "unsupported_media_type",
      `unsupported Content-Encoding ${JSON.stringify(req.contentEncoding)}: Loki push takes gzip, deflate, snappy (protobuf) or none`,
    );
  }
  if (format === "json") {
    if (raw.length > limits.maxDecompressedBytes) throw tooLarge(raw.length, limits);
    return decodePushRequestJson(raw);
  }
  return decodePushRequestProto(unsnappy(raw, limits));
}

/**
 * Undoes gzip or deflate with the output capped. HTTP's `deflate` is zlib-wrapped (RFC 9110), but
 * Loki reads it as raw DEFLATE, so clients written against Loki may send either: a body that starts
 * with a zlib header is read as zlib, any other as raw DEFLATE.
 */
function inflate(body: Uint8Array, encoding: "gzip" | "deflate", limits: PushDecodeLimits): Uint8Array {
  try {
    const opts = { maxOutputLength: Math.max(1, limits.maxDecompressedBytes) };
    if (encoding === "gzip") return gunzipSync(body, opts);
    return hasZlibHeader(body) ? inflateSync(body, opts) : inflateRawSync(body, opts);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(undefined, limits);
    const why = err instanceof Error ? err.message : String(err);
    throw new PushError("corrupt", `Loki push: ${encoding} body does not decompress: ${why}`, { cause: err });
  }
}

/** Whether `b` starts with a zlib header (RFC 1950): method 8, a window of at most 32 KiB, a valid check. */
function hasZlibHeader(b: Uint8Array): boolean {
  const cmf = b[0];
  const flg = b[1];
  if (cmf === undefined || flg === undefined) return false;
  return (cmf & 0x0f) === 8 && cmf >>> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

function unsnappy(raw: Uint8Array, limits: PushDecodeLimits): Uint8Array {
  try {
    return snappyDecompress(raw, limits.maxDecompressedBytes);
  } catch (err: unknown) {
    if (!(err instanceof SnappyError)) throw err;
    if (err.code === "too_large") throw tooLarge(undefined, limits, err);
    throw new PushError(
      "corrupt",
      `Loki push: protobuf bodies are snappy block-compressed, and this one is not valid snappy: ${err.message}`,
      { cause: err },
    );
  }
}

function tooLarge(size: number | undefined, limits: PushDecodeLimits, cause?: unknown): PushError {
  const what = size === undefined ? "more than" : `${size} bytes, more than`;
  return new PushError(
    "too_large",
    `Loki push body decompresses to ${what} the limit of ${limits.maxDecompressedBytes} bytes; send smaller batches or raise ${limits.setting}`,
    cause === undefined ? undefined : { cause },
  );
}
