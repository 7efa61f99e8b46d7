/** Stable codes of {@link LogQLEvalError}. */
export type LogQLEvalErrorCode =
  /** A series of a metric query still carries `__error__` (Loki's "pipeline error"). */
  | "pipeline_error"
  /** Two series with the same labels where a one-to-one or many-to-one match needs one. */
  | "matching_error"
  /** A query or option the engine refuses (e.g. a non-positive step). */
  | "bad_query";

/** An error while evaluating a LogQL query; `code` is stable, the message says what to change. */
export class LogQLEvalError extends Error {
  constructor(
    readonly code: LogQLEvalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LogQLEvalError";
  }
}
