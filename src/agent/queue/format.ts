import { crc32c } from "../../metrics/tsdb/chunk/crc32c.js";
import type { FrameProblem } from "./errors.js";

/**
 * The bytes of the disk queue's files (docs/format/agent-queue.md): segment names, the segment
 * header, frames and the cursor file. Pure functions over buffers; no I/O.
 */

/** Magic of a segment: `MAGQ`. */
const SEGMENT_MAGIC = [0x4d, 0x41, 0x47, 0x51] as const;
/** Magic of the cursor file: `MAGC`. */
const CURSOR_MAGIC = [0x4d, 0x41, 0x47, 0x43] as const;
const VERSION = 1;

/** Bytes of a segment header; the first frame starts here. */
export const SEGMENT_HEADER_BYTES = 20;

/** Bytes before the payload in a frame: crc, length, appendedAt. */
export const FRAME_HEADER_BYTES = 16;

/** The largest payload the format allows; a longer length field is damage. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** Bytes of the cursor file. */
export const CURSOR_BYTES = 36;

/** The name of the cursor file in the queue directory. */
export const CURSOR_FILE = "cursor";

/** The file name of segment `seq`: 16 decimal digits and `.seg`. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(16, "0")}.seg`;
}

/** The sequence number in segment file name `name`, or undefined if it is not a segment's name. */
export function parseSegmentName(name: string): number | undefined {
  const m = /^(\d{16})\.seg$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The header of a segment whose first record has index `firstIndex`. */
export function encodeSegmentHeader(firstIndex: number): Uint8Array {
  const b = new Uint8Array(SEGMENT_HEADER_BYTES);
  b.set(SEGMENT_MAGIC, 0);
  b[4] = VERSION;
  writeU64BE(b, 8, firstIndex);
  writeU32BE(b, 16, crc32c(b, 0, 0, 16));
  return b;
}

/** The `firstIndex` of a segment header in `b[0, 20)`, or undefined if the header is bad. */
export function decodeSegmentHeader(b: Uint8Array): number | undefined {
  if (b.length < SEGMENT_HEADER_BYTES) return undefined;
  for (let i = 0; i < 4; i++) if (b[i] !== SEGMENT_MAGIC[i]) return undefined;
  if (b[4] !== VERSION || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) return undefined;
  if (crc32c(b, 0, 0, 16) !== readU32BE(b, 16)) return undefined;
  return readU64BE(b, 8);
}

/**
 * Writes the frame of `payload`, appended at `appendedAt` (Unix ms), into `dst` at `at` (the caller
 * made room for `FRAME_HEADER_BYTES + payload.length` bytes); returns the offset just past it.
 */
export function writeFrame(dst: Uint8Array, at: number, payload: Uint8Array, appendedAt: number): number {
  const n = payload.length;
  writeU32BE(dst, at + 4, n);
  writeU64BE(dst, at + 8, appendedAt);
  dst.set(payload, at + FRAME_HEADER_BYTES);
  const end = at + FRAME_HEADER_BYTES + n;
  writeU32BE(dst, at, crc32c(dst, 0, at + 4, end));
  return end;
}

/** The payload length field of the frame at `at` (the caller checked 16 bytes are there). */
export function frameLength(b: Uint8Array, at: number): number {
  return readU32BE(b, at + 4);
}

/** The `appendedAt` (Unix ms) of the frame at `at` (the caller checked 16 bytes are there). */
export function frameAppendedAt(b: Uint8Array, at: number): number {
  return readU64BE(b, at + 8);
}

/**
 * Checks the frame at `b[at]` against the segment's data, of which `left` bytes remain from `at`.
 * Returns the payload length of a good frame, a {@link FrameProblem}, or `"more"` when `b` ends
 * before the frame does but the segment has its bytes (read `FRAME_HEADER_BYTES + length` and call
 * again). `bEnd` is where the valid bytes of `b` end.
 */
export function checkFrame(
  b: Uint8Array,
  at: number,
  bEnd: number,
  left: number,
): number | FrameProblem | "more" {
  if (left < FRAME_HEADER_BYTES) return "short_header";
  if (bEnd - at < FRAME_HEADER_BYTES) return "more";
  const n = frameLength(b, at);
  if (n === 0 || n > MAX_PAYLOAD_BYTES) return "bad_length";
  if (n > left - FRAME_HEADER_BYTES) return "short_record";
  const end = at + FRAME_HEADER_BYTES + n;
  if (end > bEnd) return "more";
  if (crc32c(b, 0, at + 4, end) !== readU32BE(b, at)) return "checksum";
  return n;
}

/** A position in the queue: byte `offset` of segment `segment`, where record `index` starts. */
export interface CursorPosition {
  readonly segment: number;
  readonly offset: number;
  readonly index: number;
}

/** The bytes of the cursor file for `c`. */
export function encodeCursor(c: CursorPosition): Uint8Array {
  const b = new Uint8Array(CURSOR_BYTES);
  b.set(CURSOR_MAGIC, 0);
  b[4] = VERSION;
  writeU64BE(b, 8, c.segment);
  writeU64BE(b, 16, c.offset);
  writeU64BE(b, 24, c.index);
  writeU32BE(b, 32, crc32c(b, 0, 0, 32));
  return b;
}

/** The cursor in `b`, or undefined if `b` is not a whole, intact cursor file. */
export function decodeCursor(b: Uint8Array): CursorPosition | undefined {
  if (b.length !== CURSOR_BYTES) return undefined;
  for (let i = 0; i < 4; i++) if (b[i] !== CURSOR_MAGIC[i]) return undefined;
  if (b[4] !== VERSION || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) return undefined;
  if (crc32c(b, 0, 0, 32) !== readU32BE(b, 32)) return undefined;
  return { segment: readU64BE(b, 8), offset: readU64BE(b, 16), index: readU64BE(b, 24) };
}

function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32BE(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** A u64 below 2^53, as two u32 halves. */
function writeU64BE(b: Uint8Array, at: number, v: number): void {
  writeU32BE(b, at, Math.floor(v / 0x1_0000_0000));
  writeU32BE(b, at + 4, v >>> 0);
}

function readU64BE(b: Uint8Array, at: number): number {
  return readU32BE(b, at) * 0x1_0000_0000 + readU32BE(b, at + 4);
}
