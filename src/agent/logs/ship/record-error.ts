/** The error of the log record codecs (docs/format/agent-log-records.md). */

/** Stable codes of {@link LogRecordError}. */
export type LogRecordErrorCode = "malformed" | "unsupported_version";

/** A log record that cannot be read; the message says what was wrong and where. */
export class LogRecordError extends Error {
  override readonly name = "LogRecordError";

  constructor(
    readonly code: LogRecordErrorCode,
    message: string,
  ) {
    super(message);
  }
}
