import type { ErrorCode } from "../../server/errors.js";

/**
 * The stable codes of {@link PushError}:
 * - `malformed`: bytes that are not a valid push request (bad protobuf, bad JSON, wrong shape, bad UTF-8);
 * - `corrupt`: a compressed body (snappy, gzip, deflate) that does not decompress;
 * - `too_large`: a body that is, or decompresses to, more than the caller's limit; expansion stops there;
 * - `unsupported_media_type`: a `Content-Type` or `Content-Encoding` the push endpoint does not speak.
 */
export type PushErrorCode = "malformed" | "corrupt" | "too_large" | "unsupported_media_type";

/**
 * The error-registry code (`src/server/errors.ts`) of each {@link PushErrorCode}, and so its HTTP
 * status: 400 for `malformed` and `corrupt`, 413 for `too_large`, 415 for `unsupported_media_type`.
 * None of them is worth a retry: the same body would fail the same way.
 */
export const PUSH_ERROR_HTTP_CODE: Readonly<Record<PushErrorCode, ErrorCode>> = {
  malformed: "bad_data",
  corrupt: "bad_data",
  too_large: "too_large",
  unsupported_media_type: "unsupported_media_type",
};

/**
 * A Loki push body that was refused as a whole before any stream was looked at. Always the
 * sender's fault; `message` is meant for the sender's logs and, for `too_large`, names the limit.
 */
export class PushError extends Error {
  override readonly name: string = "PushError";

  /** `code` is stable and meant for programs (see {@link PUSH_ERROR_HTTP_CODE}); `message` is for people. */
  constructor(
    readonly code: PushErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
