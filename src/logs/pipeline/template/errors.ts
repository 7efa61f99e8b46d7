/**
 * A template that does not parse (Go's `template: …` parse errors). Thrown by `compileTemplate`;
 * the LogQL layer answers it with 400 Bad Request, as Loki does for a bad `line_format`.
 */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
  /** Stable error code for the error registry. */
  readonly code = "template_parse_error";

  constructor(
    /** The reason, without the position prefix. */
    readonly reason: string,
    /** 1-based line of the offending token. */
    readonly line: number,
    /** 1-based column (in UTF-16 units) of the offending token. */
    readonly column: number,
    /** 0-based offset of the offending token in the template text. */
    readonly offset: number,
  ) {
    super(`template: ${line}:${column}: ${reason}`);
  }

  /** An error at `offset` of `src`, with line and column computed. */
  static at(src: string, offset: number, reason: string): TemplateError {
    const before = src.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - (before.lastIndexOf("\n") + 1) + 1;
    return new TemplateError(reason, line, column, offset);
  }
}

/**
 * A template that failed while running on one entry (a bad argument, a division by zero, a
 * function's own error). The pipeline catches it and sets `__error__="TemplateFormatErr"` and
 * `__error_details__` to the message, as Loki does; the query itself does not fail.
 */
export class TemplateExecError extends Error {
  override readonly name = "TemplateExecError";
  /** Stable error code; also the value Loki puts in `__error__`. */
  readonly code = "TemplateFormatErr";

  constructor(
    message: string,
    /** 0-based offset in the template text of the command that failed, or -1. */
    readonly offset = -1,
  ) {
    super(message);
  }
}
