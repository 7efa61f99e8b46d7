/**
 * Constants and shared types of the block index format, version 1 (docs/format/index.md).
 */

/** The 8-byte header: magic `MIDX`, version 1, three zero bytes. The TOC ends with the magic again. */
export const INDEX_HEADER: Uint8Array = Uint8Array.of(0x4d, 0x49, 0x44, 0x58, 1, 0, 0, 0);
/** Length of {@link INDEX_HEADER}. */
export const HEADER_BYTES = 8;
/** Length of the table of contents at the end of the file. */
export const TOC_BYTES = 132;
/** Series per group in the series section. */
export const SERIES_PER_GROUP = 16;
/** The most series an index holds: ids are u32. */
export const MAX_SERIES = 0xffffffff;

/** The sections, in the order of the TOC (and of the file as the writer lays it out). */
export const SECTIONS = [
  "symbols",
  "labels",
  "series",
  "series offsets",
  "postings",
  "postings offsets",
] as const;

/** The name of one section. */
export type SectionName = (typeof SECTIONS)[number];

/** The metadata of one chunk of a series, as the index stores it. */
export interface ChunkMeta {
  /** Timestamp of the chunk's first sample, ms. */
  readonly minT: number;
  /** Timestamp of the chunk's last sample, ms (≥ minT). */
  readonly maxT: number;
  /** Chunk reference: `segment · 2^32 + offset` (docs/format/chunks.md), an integer below 2^53. */
  readonly ref: number;
}
