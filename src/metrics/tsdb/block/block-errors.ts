/**
 * The block layer's typed errors (docs/format/block.md, "Errors"). They are not HTTP errors: a block
 * that cannot be opened is reported and skipped by its block set, and a write refused here is a
 * bug in its caller (the head or the compactor). Damage inside the index or the chunks keeps its own
 * errors (`IndexCorruptedError`, `ChunkFileError`).
 */

/** Stable codes of {@link BlockError}. */
export type BlockErrorCode =
  /** `meta.json` missing, not JSON, a field invalid, an unknown version, or a ULID that is not the directory's name. */
  | "block_meta_invalid"
  /** The index disagrees with `meta.json`. */
  | "block_inconsistent"
  /** Writing: a chunk outside `[minTime, maxTime)`, overlapping the previous one, or empty. */
  | "block_invalid_chunk"
  /** Writing: a bad range, level or ULID, or a block directory that already exists. */
  | "block_invalid_options"
  /** A block or block set used after `close()`. */
  | "block_closed";

/** An error of the block layer, with a stable code; `path` is the block directory or file concerned. */
export class BlockError extends Error {
  constructor(
    readonly code: BlockErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`block ${path}: ${message}`, options);
    this.name = "BlockError";
  }
}
