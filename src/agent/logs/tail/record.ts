/** The output of the container log parsers ({@link parseCriLine}, {@link parseDockerLine}). */

/** The stream a container wrote a line to. */
export type Stream = "stdout" | "stderr";

/** One record of a container log file, decoded. */
export interface LogRecord {
  readonly ok: true;
  /** When the runtime received the line, nanoseconds since the Unix epoch. */
  readonly tsNs: bigint;
  readonly stream: Stream;
  /** The line continues in the next record of the same stream (CRI `P`, Docker without `\n`). */
  readonly partial: boolean;
  /** The text, without the format's framing and without the trailing newline. */
  readonly content: string;
}

/**
 * A line that does not follow the format. It is kept (`raw`, the whole line as written) so that the
 * caller can send it unparsed with `error` as a marker, never dropping it.
 */
export interface MalformedRecord {
  readonly ok: false;
  /** What is wrong, short and stable enough for a label value (`cri: bad timestamp`). */
  readonly error: string;
  readonly raw: string;
}

/** What a parser returns for one line. */
export type ParsedRecord = LogRecord | MalformedRecord;
