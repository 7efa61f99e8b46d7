/**
 * The block index's typed errors (docs/format/index.md). They are not HTTP errors: a block whose
 * index is corrupt cannot be opened, and a writer refusing input is a bug in its caller (the head
 * or the compactor), which must not produce a block.
 */

/** The parts of an index file a corruption can be reported in. */
export type IndexSection =
  | "header"
  | "toc"
  | "symbols"
  | "labels"
  | "series"
  | "series offsets"
  | "postings"
  | "postings offsets";

/**
 * An index file that is damaged or was not written by a correct writer: a wrong magic or version, a
 * checksum that does not match, or bytes that do not decode. `file` and `section` say where.
 */
export class IndexCorruptedError extends Error {
  /** Stable code. */
  readonly code = "index_corrupted";

  constructor(
    /** The path of the index file (or the name given to an in-memory index). */
    readonly file: string,
    /** The section where the damage was found. */
    readonly section: IndexSection,
    detail: string,
  ) {
    super(
      `block index ${file}: ${section} ${section === "header" || section === "toc" ? "is" : "section is"} corrupt: ${detail}`,
    );
    this.name = "IndexCorruptedError";
  }
}

/** Stable codes of {@link IndexWriteError}. */
export type IndexWriteErrorCode =
  /** A series not after the previous one in `Labels.compare` order, or a repeated one. */
  | "index_out_of_order"
  /** Empty label set, an empty label name, or chunk metas that are unsorted, overlapping or not integers. */
  | "index_invalid_series"
  /** More than 2^32 − 1 series, or a section past the 4 GiB that its u32 offsets address. */
  | "index_limit"
  /** `addSeries()` or `finish()` after `finish()` or `abort()`. */
  | "index_closed";

/** A series or a call that {@link IndexWriter} refuses; the writer stays usable unless closed. */
export class IndexWriteError extends Error {
  constructor(
    /** Stable code. */
    readonly code: IndexWriteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "IndexWriteError";
  }
}
