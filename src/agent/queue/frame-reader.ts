import { type FileHandle, open } from "node:fs/promises";
import { readFully } from "./durable-files.js";
import type { FrameProblem } from "./errors.js";
import {
  checkFrame,
  decodeSegmentHeader,
  FRAME_HEADER_BYTES,
  frameAppendedAt,
  SEGMENT_HEADER_BYTES,
} from "./format.js";

const CHUNK = 256 * 1024;

/**
 * Reads the frames of one segment in order between two offsets, checking each (docs/format/
 * agent-queue.md, "Checking a frame"). A pull iterator: after `next()` resolves true, `payload`,
 * `appendedAt` and `offset` describe the current frame; `payload` is a view into the reader's buffer,
 * valid until the next call. When `next()` resolves false, `bad` tells a clean end (undefined) from a
 * bad frame. The buffer is kept across {@link reset}s, so reading on where the last batch stopped
 * does not read the same bytes twice.
 */
export class FrameReader {
  /** The current frame's payload; valid until the next `next()`. */
  payload: Uint8Array = new Uint8Array(0);
  /** The current frame's `appendedAt`, Unix ms. */
  appendedAt = 0;
  /** File offset of the current frame. */
  offset = 0;
  /** Set when reading stopped at a frame that failed a check. */
  bad: { readonly offset: number; readonly reason: FrameProblem } | undefined;

  #fh: FileHandle | undefined;
  #buf = new Uint8Array(CHUNK);
  /** File offset of `#buf[0]`. */
  #bufAt = 0;
  /** Valid bytes in `#buf`. */
  #bufLen = 0;
  /** File offset of the next frame. */
  #pos = 0;
  /** Where the segment's data ends (bytes from the start of the file). */
  #end = 0;

  /** Reads `fh` from `start` (a frame boundary) to `end`; keeps buffered bytes of the same file. */
  reset(fh: FileHandle, start: number, end: number): void {
    this.#pos = start;
    this.#end = end;
    this.bad = undefined;
    // Buffered bytes of the same file stay valid: the queue's files are only appended to while open.
    if (fh !== this.#fh || start < this.#bufAt || start > this.#bufAt + this.#bufLen) {
      this.#fh = fh;
      this.#bufAt = start;
      this.#bufLen = 0;
    }
  }

  /** Offset just past the last good frame read so far. */
  get goodEnd(): number {
    return this.bad === undefined ? this.#pos : this.bad.offset;
  }

  /** Moves to the next frame; false at `end` or at a bad frame (see {@link bad}). */
  async next(): Promise<boolean> {
    if (this.bad !== undefined) return false;
    const at = this.#pos;
    const left = this.#end - at;
    if (left <= 0) return false;
    let need = FRAME_HEADER_BYTES;
    for (;;) {
      await this.#fill(Math.min(need, left));
      const i = at - this.#bufAt;
      const r = checkFrame(this.#buf, i, this.#bufLen, left);
      if (r === "more") {
        need = FRAME_HEADER_BYTES + (this.#bufLen - i >= FRAME_HEADER_BYTES ? readLength(this.#buf, i) : 0);
        continue;
      }
      if (typeof r === "string") {
        this.bad = { offset: at, reason: r };
        return false;
      }
      this.payload = this.#buf.subarray(i + FRAME_HEADER_BYTES, i + FRAME_HEADER_BYTES + r);
      this.appendedAt = frameAppendedAt(this.#buf, i);
      this.offset = at;
      this.#pos = at + FRAME_HEADER_BYTES + r;
      return true;
    }
  }

  /** Makes `n` bytes from `#pos` available in `#buf` (the caller checked they are before `#end`). */
  async #fill(n: number): Promise<void> {
    const rel = this.#pos - this.#bufAt;
    if (rel + n <= this.#bufLen) return;
    const keep = this.#bufLen - rel;
    if (n > this.#buf.length) {
      let cap = this.#buf.length * 2;
      while (cap < n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(rel, this.#bufLen));
      this.#buf = next;
    } else if (rel > 0) {
      this.#buf.copyWithin(0, rel, this.#bufLen);
    }
    this.#bufAt = this.#pos;
    this.#bufLen = keep;
    const want = Math.min(this.#buf.length, this.#end - this.#bufAt) - this.#bufLen;
    const got = await readFully(this.#fh!, this.#buf, this.#bufLen, want, this.#bufAt + this.#bufLen);
    this.#bufLen += got;
    if (this.#bufLen < n) {
      throw new Error(
        `queue segment shorter than expected: ${this.#bufAt + this.#bufLen} < ${this.#pos + n}`,
      );
    }
  }
}

function readLength(b: Uint8Array, at: number): number {
  return ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
}

/** What {@link scanSegment} found in one segment file. */
export interface SegmentScan {
  /** File size, bytes. */
  readonly size: number;
  /** The header's first record index, or undefined for a bad segment (bad header). */
  readonly firstIndex: number | undefined;
  /** Offset just past the last good frame (the header's end when none; 0 for a bad segment). */
  readonly goodEnd: number;
  /** Good frames. */
  readonly records: number;
  /** The first bad frame, if the file does not end cleanly. */
  readonly bad: { readonly offset: number; readonly reason: FrameProblem } | undefined;
}

/**
 * Reads the header and checks every frame of segment `path`; calls `onFrame` (if given) with each
 * good frame's offset, payload (a view, valid during the call) and `appendedAt`.
 */
export async function scanSegment(
  path: string,
  onFrame?: (offset: number, payload: Uint8Array, appendedAt: number) => void,
): Promise<SegmentScan> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(SEGMENT_HEADER_BYTES);
    const got = await readFully(fh, head, 0, SEGMENT_HEADER_BYTES, 0);
    const firstIndex = got === SEGMENT_HEADER_BYTES ? decodeSegmentHeader(head) : undefined;
    if (firstIndex === undefined) return { size, firstIndex, goodEnd: 0, records: 0, bad: undefined };
    const r = new FrameReader();
    r.reset(fh, SEGMENT_HEADER_BYTES, size);
    let records = 0;
    while (await r.next()) {
      onFrame?.(r.offset, r.payload, r.appendedAt);
      records++;
    }
    return { size, firstIndex, goodEnd: r.goodEnd, records, bad: r.bad };
  } finally {
    await fh.close();
  }
}

/** The header's first record index of segment `path`, and its size; undefined index for a bad one. */
export async function readSegmentHeader(
  path: string,
): Promise<{ firstIndex: number | undefined; size: number }> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(SEGMENT_HEADER_BYTES);
    const got = await readFully(fh, head, 0, SEGMENT_HEADER_BYTES, 0);
    return { firstIndex: got === SEGMENT_HEADER_BYTES ? decodeSegmentHeader(head) : undefined, size };
  } finally {
    await fh.close();
  }
}
