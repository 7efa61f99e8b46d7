import type { Labels } from "../../../model/labels.js";

/** One chunk of a series on its way into a block: XOR-encoded data (`docs/format/chunks.md`). */
export interface BlockChunk {
  /** First and last sample timestamp, ms (inclusive). */
  readonly minT: number;
  readonly maxT: number;
  /** The XOR chunk bytes; not changed while the block is written. */
  readonly bytes: Uint8Array;
}

/** One series on its way into a block, with its chunks in time order, none overlapping. */
export interface BlockSeries {
  readonly labels: Labels;
  readonly chunks: readonly BlockChunk[];
}

/**
 * What a block is written from: the head's data in a time range, or the series of blocks being
 * compacted. Series come in strictly increasing `Labels.compare` order, each with at least one
 * chunk, every chunk inside the block's range.
 */
export interface BlockSource {
  series(): Iterable<BlockSeries> | AsyncIterable<BlockSeries>;
}
