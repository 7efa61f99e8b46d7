import { deflateRawSync, inflateRawSync } from "node:zlib";
import {
  type BlockColumns,
  BlockPayloadError,
  type BlockSections,
  decodeLineColumns,
  decodeTimestampPlanes,
} from "./block-payload.js";
import { compressBlock, decompressBlock, type LogCodecName } from "./codec.js";

/**
 * The bytes of one block of a version 3 log chunk (`docs/format/log-chunk.md`, "Block sections,
 * version 3"): a 16-byte block header, then the timestamp section, the columns section and the lines
 * section, each compressed on its own. The lines are in the chunk's codec; the two small sections in
 * DEFLATE 6 or stored as they are, whichever is shorter. A `|=` scan decompresses only the lines.
 */

/** Bytes of a version 3 block header. */
export const BLOCK_SECTIONS_HEADER_BYTES = 16;
/** Flag: the timestamp section is raw DEFLATE (else stored). */
const TS_DEFLATED = 1;
/** Flag: the columns section is raw DEFLATE (else stored). */
const COLUMNS_DEFLATED = 2;
/** DEFLATE level of the timestamp and columns sections. */
const SIDE_LEVEL = 6;
/** Widest timestamp delta: a block spans less than 2^53 ns, so 7 bytes. */
const MAX_WIDTH = 7;

/** A small section as stored: DEFLATE when that is shorter (and the chunk compresses at all). */
function storeSide(raw: Buffer, codec: LogCodecName): { bytes: Uint8Array; deflated: boolean } {
  if (codec === "none" || raw.length === 0) return { bytes: raw, deflated: false };
  const z = deflateRawSync(raw, { level: SIDE_LEVEL });
  return z.length < raw.length ? { bytes: z, deflated: true } : { bytes: raw, deflated: false };
}

/**
 * The stored bytes of one block (header and three sections) and its raw length, the uncompressed
 * bytes of its three sections together (the block index's `raw length`).
 */
export function encodeBlockSections(
  s: BlockSections,
  codec: LogCodecName,
  level: number,
): { data: Uint8Array; rawLength: number } {
  const ts = storeSide(s.timestamps, codec);
  const cols = storeSide(s.columns, codec);
  const lines = compressBlock(codec, s.lines, level);
  const H = BLOCK_SECTIONS_HEADER_BYTES;
  const data = new Uint8Array(H + ts.bytes.length + cols.bytes.length + lines.length);
  const dv = new DataView(data.buffer);
  dv.setUint8(0, s.width);
  dv.setUint8(1, (ts.deflated ? TS_DEFLATED : 0) | (cols.deflated ? COLUMNS_DEFLATED : 0));
  dv.setUint16(2, 0);
  dv.setUint32(4, ts.bytes.length);
  dv.setUint32(8, cols.bytes.length);
  dv.setUint32(12, s.columns.length);
  data.set(ts.bytes, H);
  data.set(cols.bytes, H + ts.bytes.length);
  data.set(lines, H + ts.bytes.length + cols.bytes.length);
  return { data, rawLength: s.timestamps.length + s.columns.length + s.lines.length };
}

/**
 * Where the sections of one stored version 3 block lie, checked against its index entry: `count`
 * entries and `rawLength` bytes of sections. Throws {@link BlockPayloadError} if they cannot fit.
 */
export class BlockSectionsView {
  /** Bytes per timestamp delta. */
  readonly width: number;
  private readonly flags: number;
  private readonly ts: Uint8Array;
  private readonly columns: Uint8Array;
  private readonly columnsRaw: number;
  private readonly lines: Uint8Array;
  /** Bytes of the lines section once decompressed. */
  readonly linesRaw: number;

  constructor(
    data: Uint8Array,
    private readonly count: number,
    rawLength: number,
  ) {
    const H = BLOCK_SECTIONS_HEADER_BYTES;
    if (data.length < H) throw new BlockPayloadError(`${data.length} bytes is too short for a block header`);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.width = dv.getUint8(0);
    this.flags = dv.getUint8(1);
    if (this.width > MAX_WIDTH)
      throw new BlockPayloadError(`timestamp width ${this.width} is over ${MAX_WIDTH}`);
    if ((this.flags & ~(TS_DEFLATED | COLUMNS_DEFLATED)) !== 0 || dv.getUint16(2) !== 0) {
      throw new BlockPayloadError("unknown flags in the block header");
    }
    const tsLen = dv.getUint32(4);
    const colsLen = dv.getUint32(8);
    this.columnsRaw = dv.getUint32(12);
    if (H + tsLen + colsLen > data.length) throw new BlockPayloadError("sections run past the block");
    this.ts = data.subarray(H, H + tsLen);
    this.columns = data.subarray(H + tsLen, H + tsLen + colsLen);
    this.lines = data.subarray(H + tsLen + colsLen);
    this.linesRaw = rawLength - count * this.width - this.columnsRaw;
    if (this.linesRaw < 0) throw new BlockPayloadError(`sections take more than the raw length ${rawLength}`);
  }

  /** Decompresses the lines section to exactly its raw length. */
  decodeLines(codec: LogCodecName): Buffer {
    const out = decompressBlock(codec, this.lines, this.linesRaw);
    if (out.length !== this.linesRaw) {
      throw new BlockPayloadError(
        `lines decompressed to ${out.length} bytes, the index says ${this.linesRaw}`,
      );
    }
    return out;
  }

  /**
   * Decodes the timestamp and columns sections and returns the block's columns over `lines` (from
   * {@link decodeLines}). `spanNs` is the block's last minus first timestamp.
   */
  decodeColumns(lines: Buffer, spanNs: number): BlockColumns {
    const planes = side(this.ts, (this.flags & TS_DEFLATED) !== 0, this.count * this.width, "timestamp");
    const offsets = decodeTimestampPlanes(planes, this.width, this.count, spanNs);
    const cols = side(this.columns, (this.flags & COLUMNS_DEFLATED) !== 0, this.columnsRaw, "columns");
    const { lineStarts, metadata } = decodeLineColumns(cols, this.count, lines.length);
    return { count: this.count, offsets, lines, lineStarts, metadata };
  }
}

/** A small section, inflated if stored so, and exactly `rawLength` bytes long. */
function side(stored: Uint8Array, deflated: boolean, rawLength: number, what: string): Buffer {
  let out: Buffer;
  if (!deflated) out = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  else {
    const size = Math.max(64, rawLength);
    try {
      out = inflateRawSync(stored, { chunkSize: size, maxOutputLength: size });
    } catch (err) {
      throw new BlockPayloadError(`${what} section: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (out.length !== rawLength) {
    throw new BlockPayloadError(`${what} section holds ${out.length} bytes, ${rawLength} expected`);
  }
  return out;
}
