/**
 * A LogQL query that does not parse or is not valid. The message reads as Loki's
 * (`parse error at line 1, col 10: syntax error: unexpected …`) so clients that match on it keep
 * working; the HTTP layer answers it with 400 Bad Request.
 */
export class LogQLParseError extends Error {
  override readonly name = "LogQLParseError";
  /** Stable error code for the error registry. */
  readonly code = "logql_parse_error";

  constructor(
    /** The reason, without the position prefix. */
    readonly reason: string,
    /** 1-based line of the offending token. */
    readonly line: number,
    /** 1-based column (in UTF-16 units) of the offending token. */
    readonly column: number,
    /** 0-based offset of the offending token in the query text. */
    readonly offset: number,
  ) {
    super(`parse error at line ${line}, col ${column}: ${reason}`);
  }

  /** An error at `offset` of `src`, with line and column computed. */
  static at(src: string, offset: number, reason: string): LogQLParseError {
    const before = src.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - (before.lastIndexOf("\n") + 1) + 1;
    return new LogQLParseError(reason, line, column, offset);
  }
}
