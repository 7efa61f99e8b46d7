/**
 * The WAL's typed errors. They are not HTTP errors: a head that meets one at write time fails the
 * commit (the ingest path answers 5xx, so the sender retries), and one met at replay stops the start.
 */

/** Stable codes of {@link WALError}. */
export type WALErrorCode =
  /** Bytes on disk are damaged, or a segment is missing; see {@link WALCorruptionError}. */
  | "wal_corrupt"
  /** `log()`/`cut()`/`truncate()` after `close()`. */
  | "wal_closed"
  /** An earlier write or sync failed; the WAL refuses writes until the process restarts and replays. */
  | "wal_failed"
  /** A record is empty or larger than 256 MiB (`MAX_RECORD_BYTES`). */
  | "wal_bad_record"
  /** A call that would lose data or break the layout, e.g. truncating the segment being written. */
  | "wal_invalid";

/** An error of the WAL, with a stable {@link WALErrorCode} and a message that says what to do. */
export class WALError extends Error {
  constructor(
    readonly code: WALErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WALError";
  }
}

/** Why a frame could not be read (see docs/format/wal.md, "what counts as torn"). */
export type FrameProblem = "short_header" | "bad_length" | "short_record" | "checksum";

/** Why a WAL file is unreadable at an offset. */
export type CorruptionReason =
  | FrameProblem
  /** The segment header is not `MWAL` version 1. */
  | "bad_header"
  /** A segment between the checkpoint and the last segment does not exist. */
  | "missing_segment"
  /** The frame's checksum is right but the record inside does not decode. */
  | "bad_record";

/**
 * Damage in the WAL that a crash cannot explain: a bad frame in a segment that is not the last one,
 * in a checkpoint, a bad header, a missing segment, or a record that does not decode. `file` and
 * `offset` (bytes from the start of the file) say where.
 */
export class WALCorruptionError extends WALError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: CorruptionReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("wal_corrupt", message, options);
    this.name = "WALCorruptionError";
  }
}

/**
 * A record that does not decode; `offset` is the byte within the record. Replay turns it into a
 * {@link WALCorruptionError} naming the file and the record's position.
 */
export class RecordDecodeError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = "RecordDecodeError";
  }
}
