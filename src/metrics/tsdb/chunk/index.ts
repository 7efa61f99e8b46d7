/**
 * The TSDB's chunks: the XOR sample encoding and the segment files that hold chunks on disk
 * (`docs/format/chunks.md`). Other parts of the TSDB import from here only.
 */
export { BitReader, BitWriter } from "./bitstream.js";
export {
  CHUNK_SEGMENT_HEADER_BYTES,
  CHUNK_SEGMENT_MAGIC,
  CHUNK_SEGMENT_VERSION,
  ChunkFileError,
  type ChunkFileErrorCode,
  ChunkFileReader,
  ChunkFileWriter,
  type ChunkFileWriterOptions,
  chunkRef,
  chunkRefOffset,
  chunkRefSegment,
  DEFAULT_CHUNK_SEGMENT_BYTES,
} from "./chunk-file.js";
export { crc32c } from "./crc32c.js";
export {
  ENCODING_XOR,
  XOR_APPENDER_STATE_FIELDS,
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_MAX_SAMPLE_BYTES,
  XOR_CHUNK_MAX_SAMPLES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkAppender,
  XorChunkError,
  type XorChunkErrorCode,
  XorChunkIterator,
} from "./xor-chunk.js";
