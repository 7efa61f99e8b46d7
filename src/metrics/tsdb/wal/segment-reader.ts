import { type FileHandle, open } from "node:fs/promises";
import { type FrameProblem, WALCorruptionError } from "./errors.js";
import { FRAME_HEADER_BYTES, frameChecksumOk, MAX_RECORD_BYTES, readU32BE } from "./frame.js";
import { SEGMENT_HEADER, SEGMENT_HEADER_BYTES } from "./segment.js";

const CHUNK = 1 << 20;

/** Where a segment's readable frames end, and why. */
export interface BadFrame {
  /** Offset of the first frame that failed a check (bytes from the start of the file). */
  readonly offset: number;
  readonly reason: FrameProblem;
}

/**
 * Reads the frames of one segment file in order, checking each (docs/format/wal.md, "Reading a
 * segment"). A pull iterator: after `next()` resolves true, `record` and `offset` describe the
 * current record; `record` is a view into the reader's buffer, valid until the next call. When
 * `next()` resolves false, `bad` says whether the file ended cleanly (undefined) or at a bad frame.
 * Always `close()` it.
 */
export class SegmentReader {
  /** The current record; valid until the next `next()`. */
  record: Uint8Array = new Uint8Array(0);
  /** File offset of the current record's frame. */
  offset = 0;
  /** Set when reading stopped at a frame that failed a check. */
  bad: BadFrame | undefined;

  #buf = new Uint8Array(CHUNK);
  /** File offset of `#buf[0]`. */
  #bufAt = SEGMENT_HEADER_BYTES;
  /** Valid bytes in `#buf`. */
  #bufLen = 0;
  /** File offset of the next frame. */
  #pos = SEGMENT_HEADER_BYTES;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    /** File size when opened, bytes. */
    readonly size: number,
  ) {}

  /**
   * Opens segment `path` and checks its header. A file shorter than the header reads as a bad
   * frame at offset 0 (`short_header`); a wrong magic or version throws {@link WALCorruptionError}.
   */
  static async open(path: string): Promise<SegmentReader> {
    const fh = await open(path, "r");
    try {
      const { size } = await fh.stat();
      const r = new SegmentReader(path, fh, size);
      if (size < SEGMENT_HEADER_BYTES) {
        r.bad = { offset: 0, reason: "short_header" };
        r.#pos = size;
        return r;
      }
      const head = new Uint8Array(SEGMENT_HEADER_BYTES);
      let got = 0;
      while (got < SEGMENT_HEADER_BYTES) {
        const { bytesRead } = await fh.read(head, got, SEGMENT_HEADER_BYTES - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      for (let i = 0; i < SEGMENT_HEADER_BYTES; i++) {
        if (head[i] !== SEGMENT_HEADER[i]) {
          const hex = Array.from(head, (b) => b.toString(16).padStart(2, "0"));
          throw new WALCorruptionError(
            path,
            0,
            "bad_header",
            `${path} does not start with a Mirador WAL version 1 header (got ${hex.join(" ")}); it is not a WAL ` +
              "segment of this version: move it out of the WAL directory",
          );
        }
      }
      return r;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Offset just past the last good frame read so far: where a torn tail starts. */
  get goodEnd(): number {
    return this.bad === undefined ? this.#pos : this.bad.offset;
  }

  /** Moves to the next record; false at the end of the file or at a bad frame (see {@link bad}). */
  async next(): Promise<boolean> {
    if (this.bad !== undefined) return false;
    const at = this.#pos;
    const left = this.size - at;
    if (left <= 0) return false;
    if (left < FRAME_HEADER_BYTES) return this.#stop(at, "short_header");
    await this.#fill(FRAME_HEADER_BYTES);
    const i = at - this.#bufAt;
    const length = readU32BE(this.#buf, i + 4);
    if (length === 0 || length > MAX_RECORD_BYTES) return this.#stop(at, "bad_length");
    if (length > left - FRAME_HEADER_BYTES) return this.#stop(at, "short_record");
    await this.#fill(FRAME_HEADER_BYTES + length);
    const j = at - this.#bufAt;
    if (!frameChecksumOk(this.#buf, j, length)) return this.#stop(at, "checksum");
    this.record = this.#buf.subarray(j + FRAME_HEADER_BYTES, j + FRAME_HEADER_BYTES + length);
    this.offset = at;
    this.#pos = at + FRAME_HEADER_BYTES + length;
    return true;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.fh.close();
  }

  #stop(offset: number, reason: FrameProblem): false {
    this.bad = { offset, reason };
    return false;
  }

  /** Makes `n` bytes from `#pos` available in `#buf` (the caller checked they exist in the file). */
  async #fill(n: number): Promise<void> {
    const rel = this.#pos - this.#bufAt;
    if (rel + n <= this.#bufLen) return;
    // Move the unread bytes to the front, growing the buffer for a large record.
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
    while (this.#bufLen < n) {
      const want = Math.min(this.#buf.length - this.#bufLen, this.size - (this.#bufAt + this.#bufLen));
      if (want <= 0) throw new Error(`${this.path}: file shorter than its size at open (${this.size} bytes)`);
      const { bytesRead } = await this.fh.read(this.#buf, this.#bufLen, want, this.#bufAt + this.#bufLen);
      if (bytesRead === 0) {
        throw new Error(
          `${this.path}: unexpected end of file at ${this.#bufAt + this.#bufLen}; was it truncated while read?`,
        );
      }
      this.#bufLen += bytesRead;
    }
  }
}

/** A torn tail cut off the last segment: what was dropped, where and why. */
export interface TornTail {
  /** Path of the segment. */
  readonly file: string;
  /** Its segment number. */
  readonly segment: number;
  /** Where the dropped bytes started; the file now ends here (or just after a fresh header). */
  readonly offset: number;
  /** How many bytes were dropped. */
  readonly droppedBytes: number;
  readonly reason: FrameProblem;
}

/** A segment whose frames were all checked, and its size then. */
export interface VerifiedEnd {
  readonly segment: number;
  /** Size in bytes after any torn tail was cut off. */
  readonly size: number;
}
