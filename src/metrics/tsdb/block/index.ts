/**
 * Immutable on-disk blocks of the TSDB: writing, reading, compaction and retention
 * (docs/format/block.md). Other parts of the TSDB import from here only.
 */
export { Block } from "./block.js";
export { BlockError, type BlockErrorCode } from "./block-errors.js";
export { BlockSeriesIterator } from "./block-iterator.js";
export {
  BLOCK_META_VERSION,
  type BlockCompaction,
  type BlockMeta,
  type BlockParent,
  type BlockStats,
  parseBlockMeta,
  readBlockMeta,
} from "./block-meta.js";
export { type BlockData, BlockQuerier } from "./block-querier.js";
export { type BlockProblem, BlockSet, type BlockSetOptions } from "./block-set.js";
export { BlockSetQuerier } from "./block-set-querier.js";
export type { BlockChunk, BlockSeries, BlockSource } from "./block-source.js";
export { type WriteBlockOptions, writeBlock } from "./block-writer.js";
export { mergeChunks } from "./chunk-merge.js";
export { type CompactOptions, compact } from "./compactor.js";
export { MergeSampleIterator } from "./merge-iterator.js";
export {
  type CompactionRangesOptions,
  compactionRanges,
  DEFAULT_BLOCK_DURATION_MS,
  MAX_BLOCK_DURATION_MS,
  type PlannedBlock,
  planCompaction,
} from "./planner.js";
export {
  type RetentionLimits,
  type RetentionVictim,
  retentionVictims,
  type SizedBlock,
} from "./retention.js";
export { encodeUlid, isUlid, newUlid, UlidGenerator, ulidTime } from "./ulid.js";
