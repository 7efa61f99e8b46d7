import { basename, join } from "node:path";
import type { Querier } from "../../storage/interface.js";
import { ChunkFileReader } from "../chunk/index.js";
import { IndexReader } from "../index/index.js";
import { dirBytes } from "./block-dir.js";
import { BlockError } from "./block-errors.js";
import { type BlockMeta, readBlockMeta } from "./block-meta.js";
import { type BlockData, BlockQuerier } from "./block-querier.js";

/**
 * An open, immutable block (docs/format/block.md): its metadata, its index (held in memory, every
 * CRC checked on open) and its chunk segments (read by positional reads, each chunk's CRC checked).
 * Call {@link close} when done; chunks cannot be read after that.
 */
export class Block implements BlockData {
  readonly #chunks: ChunkFileReader;
  #closed = false;

  private constructor(
    /** The directory the block was opened from. */
    readonly dir: string,
    /** The contents of `meta.json`. */
    readonly meta: BlockMeta,
    /** The block's index. */
    readonly index: IndexReader,
    chunks: ChunkFileReader,
    /** Size of the block's files on disk, bytes (for retention by size). */
    readonly sizeBytes: number,
  ) {
    this.#chunks = chunks;
  }

  /**
   * Opens the block in `dir`: reads and checks `meta.json` (its ULID must be the directory's name),
   * the index and the chunk segment headers. Throws {@link BlockError} (`block_meta_invalid`,
   * `block_inconsistent`), `IndexCorruptedError` or `ChunkFileError`.
   */
  static async open(dir: string): Promise<Block> {
    const meta = await readBlockMeta(dir);
    if (meta.ulid !== basename(dir)) {
      throw new BlockError(
        "block_meta_invalid",
        join(dir, "meta.json"),
        `its ulid ${meta.ulid} is not the directory's name`,
      );
    }
    const index = await IndexReader.open(join(dir, "index"));
    if (index.seriesCount !== meta.stats.numSeries) {
      throw new BlockError(
        "block_inconsistent",
        dir,
        `the index holds ${index.seriesCount} series, meta.json says ${meta.stats.numSeries}`,
      );
    }
    const chunks = await ChunkFileReader.open(join(dir, "chunks"));
    try {
      return new Block(dir, meta, index, chunks, await dirBytes(dir));
    } catch (err) {
      await chunks.close();
      throw err;
    }
  }

  /** The block's ULID. */
  get ulid(): string {
    return this.meta.ulid;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the block holds any time of the inclusive range `[mint, maxt]`. */
  overlaps(mint: number, maxt: number): boolean {
    return this.meta.minTime <= maxt && mint < this.meta.maxTime;
  }

  /**
   * The data of the chunk at `ref`, a new array owned by the caller. Throws `ChunkFileError` for a
   * damaged chunk (`chunk_checksum`, …) and {@link BlockError} `block_closed` after close.
   */
  chunk(ref: number): Uint8Array {
    if (this.#closed) throw new BlockError("block_closed", this.dir, "read after close()");
    return this.#chunks.chunk(ref);
  }

  /** A querier over the inclusive range `[mint, maxt]`, with the head querier's semantics. */
  querier(mint: number, maxt: number): Querier {
    return new BlockQuerier(this, mint, maxt);
  }

  /** Closes the chunk files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chunks.close();
  }
}
