/**
 * The stable codes of {@link WireError}:
 * - `malformed`: bytes that are not a valid encoding of the expected message (bad protobuf, bad UTF-8);
 * - `parse`: text that does not follow its grammar (exposition formats); the message names the line;
 * - `too_large`: a body whose declared size is over the caller's limit; nothing was expanded;
 * - `corrupt`: compressed data that does not decompress.
 */
export type WireErrorCode = "malformed" | "parse" | "too_large" | "corrupt";

/**
 * A request or scrape body that could not be decoded. Always the client's fault (HTTP 400 family,
 * or 413 for `too_large`); the message is meant for the sender's logs.
 */
export class WireError extends Error {
  override readonly name: string = "WireError";

  /** `code` is stable and meant for programs; `message` is for people. */
  constructor(
    readonly code: WireErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
