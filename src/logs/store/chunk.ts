import { crc32 } from "node:zlib";
import { crc32c } from "../../metrics/tsdb/chunk/index.js";
import {
  type BlockColumns,
  BlockPayloadError,
  BlockPayloadWriter,
  decodeBlockPayload,
  decodeMetadata,
  type LogMetadata,
} from "./block-payload.js";
import { SubstringSearch } from "./chunk-search.js";
import { BlockSectionsView, encodeBlockSections } from "./chunk-sections.js";
import {
  compressBlock,
  DEFAULT_LOG_CODEC,
  DEFAULT_LOG_CODEC_LEVEL,
  decompressBlock,
  LOG_CODECS,
  type LogCodecName,
  logCodecName,
} from "./codec.js";
import { type TrigramFilter, TrigramFilterBuilder, trigramFilterBits } from "./trigram-filter.js";

/**
 * Log chunks: one stream's entries in time order, in compressed blocks with a block index
 * (`docs/format/log-chunk.md`, the contract). `ChunkBuilder` writes one; `ChunkReader` checks one and
 * iterates its entries, skipping blocks outside the asked time range.
 *
 * Timestamps are Unix **nanoseconds** as int64; time ranges are `[from, to)`.
 */

/** "MLCK": the first four bytes of every log chunk. */
export const LOG_CHUNK_MAGIC = 0x4d4c434b;
/**
 * The format version this code writes. It reads versions 1 to 3. Versions 1 and 2 differ only in
 * their checksums: CRC32C in version 1, CRC-32 (zlib's, native in `node:zlib`, 2.5× faster to check
 * than our CRC32C in JavaScript) in version 2 (ADR 13, "Revisited"). Version 3 keeps CRC-32 and
 * stores each block as three sections compressed apart — timestamps, lengths and metadata, lines
 * (`chunk-sections.ts`; ADR 13, "Sections") — so that a `|=` scan decompresses only the lines.
 */
export const LOG_CHUNK_VERSION = 3;

/** A format version this code reads. */
export type LogChunkVersion = 1 | 2 | 3;

/** The checksum of `bytes[start, end)` in format `version`. */
export function logChunkChecksum(
  version: LogChunkVersion,
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  if (version === 1) return crc32c(bytes, 0, start, end);
  return crc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
}
/** Bytes of the fixed header. */
export const LOG_CHUNK_HEADER_BYTES = 40;
/** Bytes of one block index entry. */
export const LOG_CHUNK_INDEX_ENTRY_BYTES = 36;
/** Default block size target: bytes of lines and metadata before compression (ADR 13). */
export const DEFAULT_LOG_BLOCK_BYTES = 256 * 1024;
/** Largest uncompressed block payload a reader accepts (a bound on memory for corrupt input). */
export const LOG_BLOCK_MAX_RAW_BYTES = 64 * 1024 * 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** A block's timestamps span less than this, so offsets within a block are exact doubles. */
const MAX_BLOCK_SPAN = BigInt(Number.MAX_SAFE_INTEGER);

/** Why a chunk was refused; stable codes for callers and metrics. */
export type LogChunkErrorCode =
  | "out_of_order"
  | "invalid_timestamp"
  | "chunk_too_large"
  | "chunk_header"
  | "chunk_index"
  | "block_checksum"
  | "block_corrupt";

/** A log chunk could not be written or read; `code` says why. */
export class LogChunkError extends Error {
  override readonly name = "LogChunkError";
  constructor(
    readonly code: LogChunkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Options of a {@link ChunkBuilder}. */
export interface ChunkBuilderOptions {
  /** Block codec (default {@link DEFAULT_LOG_CODEC}). */
  readonly codec?: LogCodecName;
  /** Codec level (default {@link DEFAULT_LOG_CODEC_LEVEL} of the codec). */
  readonly level?: number;
  /** Cut a block once its lines and metadata reach this many bytes (default 256 KiB). */
  readonly blockBytes?: number;
  /** Format version to write (default {@link LOG_CHUNK_VERSION}; 1 or 2 for older readers). */
  readonly version?: LogChunkVersion;
  /**
   * Build a trigram filter of the lines as they are appended, at most this many bits
   * (`trigram-filter.ts`; read it from {@link ChunkBuilder.filter} after `finish`). Default: none.
   */
  readonly filterBits?: number;
}

function toNs(ts: bigint | number): bigint {
  if (typeof ts === "number") {
    if (!Number.isSafeInteger(ts)) {
      throw new LogChunkError("invalid_timestamp", `timestamp ${ts} is not a safe integer of nanoseconds`);
    }
    return BigInt(ts);
  }
  if (ts < INT64_MIN || ts > INT64_MAX) {
    throw new LogChunkError("invalid_timestamp", `timestamp ${ts} does not fit in an int64`);
  }
  return ts;
}

/** One block's entry in the chunk's block index. */
export interface LogBlockMeta {
  /** Byte offset of the compressed block from the start of the chunk. */
  readonly offset: number;
  /** Compressed bytes. */
  readonly length: number;
  /** Bytes of the uncompressed payload (in version 3: of its three sections together). */
  readonly rawLength: number;
  /** Entries. */
  readonly count: number;
  /** First and last timestamp in the block (ns, inclusive). */
  readonly minTs: bigint;
  readonly maxTs: bigint;
  /** Checksum of the block's stored bytes (CRC32C in version 1, CRC-32 in versions 2 and 3). */
  readonly crc: number;
}

/**
 * Builds one chunk in memory. Entries must come in non-decreasing timestamp order; a block is cut
 * when its lines and metadata reach the block size target (or its time span would reach 2^53 ns).
 * Not reusable after {@link finish}.
 */
export class ChunkBuilder {
  private readonly codec: LogCodecName;
  private readonly level: number;
  private readonly blockBytes: number;
  private readonly version: LogChunkVersion;
  private readonly payload = new BlockPayloadWriter();
  private readonly blocks: Uint8Array[] = [];
  private readonly metas: LogBlockMeta[] = [];
  private blockMin = 0n;
  private last: bigint | undefined;
  private first: bigint | undefined;
  private compressed = 0;
  private rawLines = 0;
  private count = 0;
  private finished = false;
  private readonly filterBuilder: TrigramFilterBuilder | undefined;
  /** The trigram filter of the chunk's lines, once finished, when `filterBits` asked for one. */
  filter: TrigramFilter | undefined;

  constructor(opts: ChunkBuilderOptions = {}) {
    this.filterBuilder =
      opts.filterBits === undefined ? undefined : new TrigramFilterBuilder(opts.filterBits);
    this.codec = opts.codec ?? DEFAULT_LOG_CODEC;
    this.level = opts.level ?? DEFAULT_LOG_CODEC_LEVEL[this.codec];
    this.blockBytes = opts.blockBytes ?? DEFAULT_LOG_BLOCK_BYTES;
    this.version = opts.version ?? LOG_CHUNK_VERSION;
  }

  /** Entries appended. */
  get entries(): number {
    return this.count;
  }

  /** Bytes of lines appended (UTF-8), the "raw log" figure. */
  get rawLineBytes(): number {
    return this.rawLines;
  }

  /** Approximate size of the chunk if finished now: cut blocks plus the open block's raw bytes. */
  get approxBytes(): number {
    return (
      LOG_CHUNK_HEADER_BYTES +
      this.compressed +
      this.payload.contentBytes +
      (this.metas.length + 1) * LOG_CHUNK_INDEX_ENTRY_BYTES
    );
  }

  /**
   * Appends an entry. `tsNs` is Unix nanoseconds (a `number` must be a safe integer); it must not be
   * before the previous entry's (`out_of_order`). The line is stored as given (a string as UTF-8).
   */
  append(tsNs: bigint | number, line: string | Uint8Array, metadata?: LogMetadata): void {
    if (this.finished) throw new Error("ChunkBuilder.append after finish");
    const ts = toNs(tsNs);
    if (this.last !== undefined && ts < this.last) {
      throw new LogChunkError(
        "out_of_order",
        `entry at ${ts} ns is before the previous one at ${this.last} ns`,
      );
    }
    if (this.payload.count > 0 && ts - this.blockMin >= MAX_BLOCK_SPAN) this.cut();
    if (this.payload.count === 0) this.blockMin = ts;
    const before = this.payload.lineBytes;
    this.payload.append(Number(ts - this.blockMin), line, metadata);
    const after = this.payload.lineBytes;
    this.rawLines += after - before;
    this.filterBuilder?.addLine(this.payload.linesBuffer, before, after);
    this.first ??= ts;
    this.last = ts;
    this.count++;
    if (this.payload.contentBytes >= this.blockBytes) this.cut();
  }

  private cut(): void {
    const n = this.payload.count;
    if (n === 0) return;
    let data: Uint8Array;
    let rawLength: number;
    if (this.version === 3) {
      ({ data, rawLength } = encodeBlockSections(this.payload.finishSections(), this.codec, this.level));
    } else {
      const raw = this.payload.finish();
      data = compressBlock(this.codec, raw, this.level);
      rawLength = raw.length;
    }
    const offset = LOG_CHUNK_HEADER_BYTES + this.compressed;
    if (offset + data.length > 0xffffffff) {
      throw new LogChunkError("chunk_too_large", "a log chunk cannot pass 4 GiB; cut chunks smaller");
    }
    this.metas.push({
      offset,
      length: data.length,
      rawLength,
      count: n,
      minTs: this.blockMin,
      maxTs: this.last!,
      crc: logChunkChecksum(this.version, data),
    });
    this.blocks.push(data);
    this.compressed += data.length;
  }

  /** Cuts the open block and returns the chunk's bytes (the caller owns them). */
  finish(): Uint8Array {
    if (this.finished) throw new Error("ChunkBuilder.finish called twice");
    this.cut();
    this.finished = true;
    this.filter = this.filterBuilder?.finish(
      Math.min(this.filterBuilder.maxBits, trigramFilterBits(this.rawLines)),
    );
    const indexOffset = LOG_CHUNK_HEADER_BYTES + this.compressed;
    const total = indexOffset + this.metas.length * LOG_CHUNK_INDEX_ENTRY_BYTES + 4;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, LOG_CHUNK_MAGIC);
    dv.setUint8(4, this.version);
    dv.setUint8(5, LOG_CODECS[this.codec]);
    dv.setUint16(6, 0);
    dv.setUint32(8, this.count);
    dv.setUint32(12, this.metas.length);
    dv.setBigInt64(16, this.first ?? 0n);
    dv.setBigInt64(24, this.last ?? 0n);
    dv.setUint32(32, indexOffset);
    dv.setUint32(36, logChunkChecksum(this.version, out, 0, 36));
    let p = LOG_CHUNK_HEADER_BYTES;
    for (const b of this.blocks) {
      out.set(b, p);
      p += b.length;
    }
    for (const m of this.metas) {
      dv.setUint32(p, m.offset);
      dv.setUint32(p + 4, m.length);
      dv.setUint32(p + 8, m.rawLength);
      dv.setUint32(p + 12, m.count);
      dv.setBigInt64(p + 16, m.minTs);
      dv.setBigInt64(p + 24, m.maxTs);
      dv.setUint32(p + 32, m.crc);
      p += LOG_CHUNK_INDEX_ENTRY_BYTES;
    }
    dv.setUint32(p, logChunkChecksum(this.version, out, indexOffset, p));
    return out;
  }
}

/** One entry, as {@link ChunkReader.entries} yields it. */
export interface LogEntry {
  /** Unix nanoseconds. */
  readonly tsNs: bigint;
  readonly line: string;
  /** Structured metadata, or undefined when the entry has none. */
  readonly metadata: LogMetadata | undefined;
}

/**
 * One decompressed block: the fast path for filters. Entry `i` (0 ≤ i < count, in time order) has
 * the line bytes `lines[lineStarts[i], lineStarts[i + 1])`. The views share one buffer that belongs
 * to this object; nothing here makes a string unless asked.
 */
export class DecodedLogBlock {
  readonly count: number;
  readonly lines: Buffer;
  readonly lineStarts: Uint32Array;
  private readonly offsets: Float64Array;
  private readonly metaSection: Buffer;
  private meta: (LogMetadata | undefined)[] | undefined;

  constructor(
    /** The block's index entry. */
    readonly info: LogBlockMeta,
    cols: BlockColumns,
  ) {
    this.count = cols.count;
    this.lines = cols.lines;
    this.lineStarts = cols.lineStarts;
    this.offsets = cols.offsets;
    this.metaSection = cols.metadata;
  }

  /** Timestamp of entry `i`, Unix nanoseconds. */
  tsAt(i: number): bigint {
    return this.info.minTs + BigInt(this.offsets[i]!);
  }

  /** The first entry whose timestamp is ≥ `ts` (count if none). */
  lowerBound(ts: bigint): number {
    if (ts <= this.info.minTs) return 0;
    if (ts > this.info.maxTs) return this.count;
    const off = Number(ts - this.info.minTs);
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The line of entry `i`, decoded from UTF-8. */
  lineAt(i: number): string {
    return this.lines.toString("utf8", this.lineStarts[i]!, this.lineStarts[i + 1]!);
  }

  /** The structured metadata of entry `i` (decoded for the whole block on first use). */
  metadataAt(i: number): LogMetadata | undefined {
    if (this.meta === undefined) {
      try {
        this.meta = decodeMetadata(this.metaSection, this.count);
      } catch (err) {
        throw corrupt(this.info, err);
      }
    }
    return this.meta[i];
  }

  /**
   * The first entry `i` in `[start, end)` whose line contains `needle` (the bytes of a `|=` filter),
   * or -1. Searches the block's bytes once with `Buffer#indexOf`, not line by line; an empty needle
   * matches every line.
   */
  nextContaining(needle: Uint8Array, start = 0, end = this.count): number {
    if (start >= end) return -1;
    if (needle.length === 0) return start;
    const starts = this.lineStarts;
    const stop = starts[end]!;
    let from = starts[start]!;
    while (from < stop) {
      const p = this.lines.indexOf(needle, from);
      if (p < 0 || p >= stop) return -1;
      // The entry holding byte p: the last i with starts[i] ≤ p.
      let lo = start;
      let hi = end - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid]! <= p) lo = mid;
        else hi = mid - 1;
      }
      if (p + needle.length <= starts[lo + 1]!) return lo;
      // The match runs into the next line; no later match can start in line lo either.
      from = starts[lo + 1]!;
    }
    return -1;
  }

  /**
   * Every entry `i` in `[start, end)` whose line contains the needle, ascending: the bulk form of
   * {@link nextContaining}, with the SIMD search of `chunk-search.ts` (the block's lines are copied
   * into its memory once per call). Pass a {@link SubstringSearch} to reuse one across blocks.
   */
  indicesContaining(needle: Uint8Array | SubstringSearch, start = 0, end = this.count): number[] {
    const out: number[] = [];
    if (start >= end) return out;
    const search = needle instanceof SubstringSearch ? needle : new SubstringSearch(needle);
    if (search.needle.length === 0) {
      for (let i = start; i < end; i++) out.push(i);
      return out;
    }
    search.load(this.lines);
    collectHits(search, this.lineStarts, start, end, out);
    return out;
  }
}

/**
 * Appends to `out` the entries in `[start, end)` whose line holds a match of `search`, whose loaded
 * buffer holds the block's lines from byte `base` on (entry i at `base + starts[i]` to
 * `base + starts[i + 1]`); a match that runs into the next line does not count.
 */
function collectHits(
  search: SubstringSearch,
  starts: Uint32Array,
  start: number,
  end: number,
  out: number[],
  base = 0,
): void {
  const n = search.needle.length;
  const stop = base + starts[end]!;
  let from = base + starts[start]!;
  let line = start;
  while (from < stop) {
    const p = search.indexOf(from);
    if (p < 0 || p >= stop) return;
    // The entry holding byte p: the last i ≥ line with base + starts[i] ≤ p.
    const q = p - base;
    let lo = line;
    let hi = end - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= q) lo = mid;
      else hi = mid - 1;
    }
    if (q + n <= starts[lo + 1]!) out.push(lo);
    // One hit per line; a match running into the next line rules out later ones in this line too.
    line = lo + 1;
    from = base + starts[line]!;
  }
}

/** One block with lines containing a needle, as {@link ChunkReader.blocksContaining} yields it. */
export interface LogBlockHits {
  readonly block: DecodedLogBlock;
  /** Indices of the matching entries in the block, ascending, all within the asked time range. */
  readonly indices: readonly number[];
}

function corrupt(m: LogBlockMeta, err: unknown): LogChunkError {
  const why = err instanceof Error ? err.message : String(err);
  return new LogChunkError("block_corrupt", `block at offset ${m.offset}: ${why}`);
}

/** The direction of iteration: oldest first, or newest first. */
export type LogDirection = "forward" | "backward";

/**
 * Reads a chunk. The constructor checks the header, the block index and their checksums; each block
 * is checked (checksum, sizes, payload structure) when it is first read. Every problem throws
 * {@link LogChunkError}. The reader keeps a reference to `bytes`, which must not change.
 */
export class ChunkReader {
  /** The chunk's format version. */
  readonly version: LogChunkVersion;
  /** The chunk's codec. */
  readonly codec: LogCodecName;
  /** Entries in the chunk. */
  readonly entryCount: number;
  /** First and last timestamp (ns, inclusive); both 0 for an empty chunk. */
  readonly minTs: bigint;
  readonly maxTs: bigint;
  /** The block index, in time order. */
  readonly blocks: readonly LogBlockMeta[];

  constructor(private readonly bytes: Uint8Array) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bad = (msg: string): LogChunkError => new LogChunkError("chunk_header", msg);
    if (bytes.length < LOG_CHUNK_HEADER_BYTES + 4)
      throw bad(`${bytes.length} bytes is too short for a log chunk`);
    if (dv.getUint32(0) !== LOG_CHUNK_MAGIC) throw bad("not a log chunk (wrong magic)");
    const version = dv.getUint8(4);
    if (version !== 1 && version !== 2 && version !== 3) throw bad(`unknown log chunk version ${version}`);
    this.version = version;
    if (dv.getUint32(36) !== logChunkChecksum(version, bytes, 0, 36)) throw bad("header checksum mismatch");
    const codec = logCodecName(dv.getUint8(5));
    if (codec === undefined) throw bad(`unknown codec ${dv.getUint8(5)}`);
    this.codec = codec;
    this.entryCount = dv.getUint32(8);
    const nBlocks = dv.getUint32(12);
    this.minTs = dv.getBigInt64(16);
    this.maxTs = dv.getBigInt64(24);
    const indexOffset = dv.getUint32(32);
    const indexEnd = indexOffset + nBlocks * LOG_CHUNK_INDEX_ENTRY_BYTES;
    if (indexOffset < LOG_CHUNK_HEADER_BYTES || indexEnd + 4 !== bytes.length) {
      throw bad("block index position disagrees with the chunk's length");
    }
    const badIndex = (msg: string): LogChunkError => new LogChunkError("chunk_index", msg);
    if (dv.getUint32(indexEnd) !== logChunkChecksum(version, bytes, indexOffset, indexEnd)) {
      throw badIndex("block index checksum mismatch");
    }
    const blocks: LogBlockMeta[] = [];
    let expectOffset = LOG_CHUNK_HEADER_BYTES;
    let entries = 0;
    let prevMax = this.minTs;
    for (let i = 0, p = indexOffset; i < nBlocks; i++, p += LOG_CHUNK_INDEX_ENTRY_BYTES) {
      const m: LogBlockMeta = {
        offset: dv.getUint32(p),
        length: dv.getUint32(p + 4),
        rawLength: dv.getUint32(p + 8),
        count: dv.getUint32(p + 12),
        minTs: dv.getBigInt64(p + 16),
        maxTs: dv.getBigInt64(p + 24),
        crc: dv.getUint32(p + 32),
      };
      if (m.offset !== expectOffset) throw badIndex(`block ${i} is not where the previous one ends`);
      if (m.count === 0 || m.rawLength > LOG_BLOCK_MAX_RAW_BYTES) {
        throw badIndex(`block ${i} has ${m.count} entries and ${m.rawLength} raw bytes`);
      }
      if (m.minTs > m.maxTs || m.minTs < prevMax || m.maxTs - m.minTs >= MAX_BLOCK_SPAN) {
        throw badIndex(`block ${i} has a time range out of order`);
      }
      expectOffset += m.length;
      entries += m.count;
      prevMax = m.maxTs;
      blocks.push(m);
    }
    if (expectOffset !== indexOffset) throw badIndex("blocks do not end where the block index starts");
    if (entries !== this.entryCount) throw badIndex("block entry counts do not add up to the header's");
    if (nBlocks > 0 && (blocks[0]!.minTs !== this.minTs || prevMax !== this.maxTs)) {
      throw badIndex("block time ranges disagree with the header's");
    }
    this.blocks = blocks;
  }

  /** Decompresses and checks block `i` of {@link blocks}. */
  block(i: number): DecodedLogBlock {
    const m = this.blocks[i];
    if (m === undefined) throw new RangeError(`block ${i} of ${this.blocks.length}`);
    if (this.version === 3) {
      const view = this.sections(m);
      return this.decodeSections(m, view, this.lines(m, view));
    }
    return this.decode(m, this.payload(m));
  }

  /** Checks the block's CRC and returns its stored bytes. */
  private checked(m: LogBlockMeta): Uint8Array {
    const data = this.bytes.subarray(m.offset, m.offset + m.length);
    if (logChunkChecksum(this.version, data) !== m.crc) {
      throw new LogChunkError("block_checksum", `block at offset ${m.offset}: checksum mismatch`);
    }
    return data;
  }

  /** Version 3: checks the block's CRC and finds its sections. */
  private sections(m: LogBlockMeta): BlockSectionsView {
    const data = this.checked(m);
    try {
      return new BlockSectionsView(data, m.count, m.rawLength);
    } catch (err) {
      throw corrupt(m, err);
    }
  }

  /** Version 3: decompresses the lines section of a block. */
  private lines(m: LogBlockMeta, view: BlockSectionsView): Buffer {
    try {
      return view.decodeLines(this.codec);
    } catch (err) {
      throw corrupt(m, err);
    }
  }

  /** Version 3: decodes and checks the timestamp and columns sections over the block's lines. */
  private decodeSections(m: LogBlockMeta, view: BlockSectionsView, lines: Buffer): DecodedLogBlock {
    try {
      return new DecodedLogBlock(m, view.decodeColumns(lines, Number(m.maxTs - m.minTs)));
    } catch (err) {
      if (err instanceof BlockPayloadError) throw corrupt(m, err);
      throw err;
    }
  }

  /** Versions 1 and 2: checks the block's CRC and decompresses it to exactly its raw length. */
  private payload(m: LogBlockMeta): Buffer {
    const data = this.checked(m);
    let payload: Buffer;
    try {
      payload = decompressBlock(this.codec, data, m.rawLength);
    } catch (err) {
      throw corrupt(m, err);
    }
    if (payload.length !== m.rawLength) {
      throw corrupt(m, new Error(`decompressed to ${payload.length} bytes, the index says ${m.rawLength}`));
    }
    return payload;
  }

  /** Checks a block's payload and wraps its columns. */
  private decode(m: LogBlockMeta, payload: Buffer): DecodedLogBlock {
    try {
      return new DecodedLogBlock(m, decodeBlockPayload(payload, m.count, Number(m.maxTs - m.minTs)));
    } catch (err) {
      if (err instanceof BlockPayloadError) throw corrupt(m, err);
      throw err;
    }
  }

  /**
   * The blocks that may hold entries in `[from, to)`, decoded one at a time as the caller pulls, in
   * the given direction. Blocks wholly outside the range are never decompressed; a yielded block may
   * hold entries outside it (use {@link DecodedLogBlock.lowerBound}).
   */
  *decodedBlocks(from: bigint, to: bigint, direction: LogDirection = "forward"): Generator<DecodedLogBlock> {
    const n = this.blocks.length;
    for (let k = 0; k < n; k++) {
      const i = direction === "forward" ? k : n - 1 - k;
      const m = this.blocks[i]!;
      if (m.maxTs < from || m.minTs >= to) continue;
      yield this.block(i);
    }
  }

  /**
   * The fast path of a line filter `|= "needle"`: for each block that may hold entries in
   * `[from, to)` (in the given direction) and has at least one line containing `needle` (bytes, or
   * a string taken as UTF-8), the block and the indices of those entries within `[from, to)`,
   * ascending whatever the direction. A block's lines are searched before its columns are decoded,
   * with the SIMD search of `chunk-search.ts`; a block without a hit is CRC-checked and decompressed
   * (in version 3 only its lines section) but its columns are never decoded. An empty needle
   * matches every line.
   */
  *blocksContaining(
    needle: Uint8Array | string,
    from: bigint,
    to: bigint,
    direction: LogDirection = "forward",
  ): Generator<LogBlockHits> {
    const search = new SubstringSearch(typeof needle === "string" ? Buffer.from(needle) : needle);
    const n = this.blocks.length;
    for (let k = 0; k < n; k++) {
      const m = this.blocks[direction === "forward" ? k : n - 1 - k]!;
      if (m.maxTs < from || m.minTs >= to) continue;
      if (this.version === 3) {
        // Only the lines section is decompressed to be searched; the timestamps and lengths are
        // decoded for a block with a hit.
        const view = this.sections(m);
        const lines = this.lines(m, view);
        if (search.needle.length > 0) {
          search.load(lines);
          if (search.indexOf(0) < 0) continue;
        }
        const block = this.decodeSections(m, view, lines);
        const indices: number[] = [];
        const lo = block.lowerBound(from);
        const hi = block.lowerBound(to);
        if (search.needle.length === 0) for (let i = lo; i < hi; i++) indices.push(i);
        else if (lo < hi) collectHits(search, block.lineStarts, lo, hi, indices);
        if (indices.length > 0) yield { block, indices };
        continue;
      }
      const payload = this.payload(m);
      if (search.needle.length === 0) {
        const block = this.decode(m, payload);
        const indices = block.indicesContaining(search, block.lowerBound(from), block.lowerBound(to));
        if (indices.length > 0) yield { block, indices };
        continue;
      }
      // Search the whole payload: no hit there, none in its lines, and the columns need not be
      // decoded even to find where the lines start. A hit in the columns or metadata only costs
      // the decoding of a block that turns out to have no matching line.
      search.load(payload);
      if (search.indexOf(0) < 0) continue;
      const block = this.decode(m, payload);
      const linesAt = block.lines.byteOffset - payload.byteOffset;
      // The search still holds this block's payload: map its hits to entries without a second copy.
      const indices: number[] = [];
      const lo = block.lowerBound(from);
      const hi = block.lowerBound(to);
      if (lo < hi) collectHits(search, block.lineStarts, lo, hi, indices, linesAt);
      if (indices.length > 0) yield { block, indices };
    }
  }

  /**
   * The entries in `[from, to)` whose line contains `needle` (bytes, or a string taken as UTF-8),
   * oldest first or newest first: what `entries` then a `|= needle` filter give, at the speed of
   * {@link blocksContaining}. Only matching lines are decoded into strings.
   */
  *entriesContaining(
    needle: Uint8Array | string,
    from: bigint,
    to: bigint,
    direction: LogDirection = "forward",
  ): Generator<LogEntry> {
    for (const { block: b, indices } of this.blocksContaining(needle, from, to, direction)) {
      if (direction === "forward") {
        for (const i of indices) yield { tsNs: b.tsAt(i), line: b.lineAt(i), metadata: b.metadataAt(i) };
      } else {
        for (let k = indices.length - 1; k >= 0; k--) {
          const i = indices[k]!;
          yield { tsNs: b.tsAt(i), line: b.lineAt(i), metadata: b.metadataAt(i) };
        }
      }
    }
  }

  /** The entries in `[from, to)`, oldest first or newest first. */
  *entries(from: bigint, to: bigint, direction: LogDirection = "forward"): Generator<LogEntry> {
    for (const b of this.decodedBlocks(from, to, direction)) {
      const lo = b.lowerBound(from);
      const hi = b.lowerBound(to);
      if (direction === "forward") {
        for (let i = lo; i < hi; i++) yield { tsNs: b.tsAt(i), line: b.lineAt(i), metadata: b.metadataAt(i) };
      } else {
        for (let i = hi - 1; i >= lo; i--)
          yield { tsNs: b.tsAt(i), line: b.lineAt(i), metadata: b.metadataAt(i) };
      }
    }
  }
}
