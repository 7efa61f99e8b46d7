/**
 * The write-ahead log of the TSDB head (docs/format/wal.md). Start-up: `const r = await
 * replay(dir, handler)`, then `WAL.open(dir, { verifiedEnd: r.verifiedEnd })`; writes: `wal.log(records)` before acknowledging; after the head is compacted:
 * `wal.cut()`, `writeCheckpoint(dir, cut − 1, liveRecords)`, `wal.truncate(cut)`.
 */
export {
  type CheckpointOptions,
  type CheckpointResult,
  type CheckpointSource,
  writeCheckpoint,
} from "./checkpoint.js";
export {
  type CorruptionReason,
  type FrameProblem,
  RecordDecodeError,
  WALCorruptionError,
  WALError,
  type WALErrorCode,
} from "./errors.js";
export { MAX_RECORD_BYTES } from "./frame.js";
export {
  Cursor,
  type DecodedSeries,
  decodeSamples,
  decodeSeries,
  decodeTruncation,
  encodeSamples,
  encodeSeries,
  encodeTruncation,
  RecordBuffer,
  RecordType,
  type RecordTypeValue,
  recordType,
  SampleBatch,
  type SampleColumns,
  type SeriesEntry,
  type TruncationEntry,
} from "./records.js";
export {
  type RecordHandler,
  type RecordPosition,
  type ReplayOptions,
  type ReplayReport,
  replay,
  type SkippedRegion,
} from "./replay.js";
export type { SyncMode } from "./segment.js";
export type { TornTail, VerifiedEnd } from "./segment-reader.js";
export { DEFAULT_SEGMENT_BYTES, WAL, type WALOptions, type WALStats } from "./wal.js";
