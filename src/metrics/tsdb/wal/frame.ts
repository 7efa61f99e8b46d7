import { crc32c } from "../chunk/crc32c.js";

/**
 * The frame around each record in a segment (docs/format/wal.md, "Segment file"):
 * `crc <u32 BE> | length <u32 BE> | record`, the CRC32C covering the length bytes and the record.
 */

/** Bytes before the record in a frame: CRC then length. */
export const FRAME_HEADER_BYTES = 8;

/** The largest record a frame may hold; a longer length field is damage. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Writes the frame of `record` into `dst` at `at` (the caller made room for
 * `FRAME_HEADER_BYTES + record.length` bytes) and returns the offset just past it.
 */
export function writeFrame(dst: Uint8Array, at: number, record: Uint8Array): number {
  const n = record.length;
  const body = at + FRAME_HEADER_BYTES;
  dst[at + 4] = n >>> 24;
  dst[at + 5] = (n >>> 16) & 0xff;
  dst[at + 6] = (n >>> 8) & 0xff;
  dst[at + 7] = n & 0xff;
  dst.set(record, body);
  writeU32BE(dst, at, crc32c(dst, 0, at + 4, body + n));
  return body + n;
}

/** Reads a big-endian uint32 at `at`; the caller checked the bounds. */
export function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32BE(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Whether the CRC stored in the frame at `at` matches its length and `length` record bytes. */
export function frameChecksumOk(b: Uint8Array, at: number, length: number): boolean {
  return crc32c(b, 0, at + 4, at + FRAME_HEADER_BYTES + length) === readU32BE(b, at);
}
