/**
 * The index of an immutable TSDB block: series, their chunk metas and the postings that answer
 * label matchers (docs/format/index.md). Other parts of the TSDB import from here only.
 */
export {
  IndexCorruptedError,
  type IndexSection,
  IndexWriteError,
  type IndexWriteErrorCode,
} from "./index-errors.js";
export { type ChunkMeta, MAX_SERIES } from "./index-format.js";
export { IndexReader } from "./index-reader.js";
export { IndexWriter, type IndexWriterOptions, type IndexWriteStats } from "./index-writer.js";
export {
  ArrayPostings,
  allPostings,
  collect,
  EMPTY_POSTINGS,
  intersect,
  type PostingsIterator,
  subtract,
  union,
} from "./postings.js";
export { type LabelPostingsSource, postingsForMatchers } from "./postings-for-matchers.js";
export { type IndexSeries, SeriesDecoder } from "./series-decoder.js";
