import { fstatSync, readSync } from "node:fs";
import { type FileHandle, mkdir, open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "./crc32c.js";
import { ENCODING_XOR, XOR_CHUNK_MAX_BYTES } from "./xor-chunk.js";

/**
 * Chunk segment files (`chunks/000001`, …): a header, then chunks framed as
 * `len uvarint | encoding | data | CRC32C(encoding ‖ data)`. `docs/format/chunks.md` is the
 * specification, including why reads are positional and synchronous.
 */

/** The first four bytes of a segment file, big-endian. */
export const CHUNK_SEGMENT_MAGIC = 0x85bd40dd;
/** The format version in byte 4 of a segment file. */
export const CHUNK_SEGMENT_VERSION = 1;
/** Bytes before the first chunk of a segment: magic, version, three bytes of padding. */
export const CHUNK_SEGMENT_HEADER_BYTES = 8;
/** The default size past which the writer starts a new segment: 128 MiB. */
export const DEFAULT_CHUNK_SEGMENT_BYTES = 128 * 1024 * 1024;

const TWO_32 = 4294967296;
/** The largest segment: chunk offsets are 32 bits. */
const MAX_SEGMENT_BYTES = TWO_32;
/** The most segments a reference held in a number can name exactly. */
const MAX_SEGMENTS = 2 ** 21;
/**
 * What one positional read takes first: a whole XOR chunk of the largest size the head cuts, with
 * its framing, so one read is the rule. (A 4 KiB window cost a third more CPU per chunk.)
 */
const READ_WINDOW = XOR_CHUNK_MAX_BYTES + 16;

/**
 * The reference of the chunk at byte `offset` of segment `segmentIndex` (0 for `000001`):
 * `segmentIndex << 32 | offset`, as a number (exact for indexes below 2^21).
 */
export function chunkRef(segmentIndex: number, offset: number): number {
  return segmentIndex * TWO_32 + offset;
}

/** The segment index of a chunk reference (the file's sequence number − 1). */
export function chunkRefSegment(ref: number): number {
  return Math.floor(ref / TWO_32);
}

/** The byte offset within its segment of a chunk reference. */
export function chunkRefOffset(ref: number): number {
  return ref % TWO_32;
}

/** What is wrong with a chunk file; see the table in `docs/format/chunks.md`. */
export type ChunkFileErrorCode =
  | "segment_header"
  | "segment_sequence"
  | "chunk_ref"
  | "chunk_truncated"
  | "chunk_checksum"
  | "chunk_encoding"
  | "writer_failed";

/** A chunk file that cannot be read or written as specified, naming the file and the byte offset. */
export class ChunkFileError extends Error {
  constructor(
    readonly code: ChunkFileErrorCode,
    /** The path of the segment file (or the directory, for `segment_sequence`). */
    readonly file: string,
    /** The byte offset in `file` where the problem is. */
    readonly offset: number,
    message: string,
  ) {
    super(`${file} at offset ${offset}: ${message}`);
    this.name = "ChunkFileError";
  }
}

/** The file name of segment `seq` (1-based): at least six decimal digits. */
function segmentName(seq: number): string {
  return String(seq).padStart(6, "0");
}

/** The segment files of `dir`, sorted by number; other names are ignored. */
async function listSegments(dir: string): Promise<{ seq: number; name: string }[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => /^\d+$/.test(n))
    .map((name) => ({ seq: Number(name), name }))
    .sort((a, b) => a.seq - b.seq);
}

function uvarintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

/** Options of {@link ChunkFileWriter.create}. */
export interface ChunkFileWriterOptions {
  /** Start a new segment when the next chunk would take the current one past this, bytes (≤ 4 GiB). */
  segmentBytes?: number;
  /** Chunks are gathered in a buffer of this many bytes between writes (default 1 MiB). */
  bufferBytes?: number;
}

/**
 * Writes chunks into new segment files of a directory. Each call must be awaited before the next
 * (a call made meanwhile throws); after a failed write or sync every call throws `writer_failed`,
 * since what reached the disk is unknown. References returned by {@link append} may be handed to
 * readers once {@link sync} (or {@link close}) has resolved.
 */
export class ChunkFileWriter {
  readonly #dir: string;
  readonly #segmentBytes: number;
  #buf: Uint8Array;
  #bufLen = 0;
  #file: FileHandle | undefined;
  #path = "";
  /** The current segment's number (1-based); 0 before the first. */
  #seq: number;
  /** Bytes of the current segment, written or buffered. */
  #size = 0;
  #dirDirty = false;
  #busy = false;
  #closed = false;
  #failed: unknown;

  private constructor(dir: string, lastSeq: number, segmentBytes: number, bufferBytes: number) {
    this.#dir = dir;
    this.#seq = lastSeq;
    this.#segmentBytes = segmentBytes;
    this.#buf = new Uint8Array(bufferBytes);
  }

  /**
   * A writer into `dir` (created if missing). Its first segment is numbered after the highest one
   * already there and is created with the first chunk; existing files are never written to.
   */
  static async create(dir: string, options: ChunkFileWriterOptions = {}): Promise<ChunkFileWriter> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_CHUNK_SEGMENT_BYTES;
    if (!Number.isInteger(segmentBytes) || segmentBytes < 64 || segmentBytes > MAX_SEGMENT_BYTES) {
      throw new RangeError(`ChunkFileWriter: segmentBytes ${segmentBytes} must be between 64 and 4 GiB`);
    }
    const bufferBytes = options.bufferBytes ?? 1024 * 1024;
    if (!Number.isInteger(bufferBytes) || bufferBytes < 64) {
      throw new RangeError(`ChunkFileWriter: bufferBytes ${bufferBytes} must be an integer ≥ 64`);
    }
    await mkdir(dir, { recursive: true });
    const segments = await listSegments(dir);
    return new ChunkFileWriter(dir, segments.at(-1)?.seq ?? 0, segmentBytes, bufferBytes);
  }

  /** The directory written to. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Appends one chunk and returns its reference. `data` is the chunk's data (for XOR, the bytes of
   * {@link XorChunkAppender.bytes}); it is copied before the promise resolves, so the caller may
   * reuse it afterwards. The chunk is buffered: {@link flush}/{@link sync} write it.
   */
  async append(data: Uint8Array, encoding: number = ENCODING_XOR): Promise<number> {
    this.#enter();
    try {
      if (!Number.isInteger(encoding) || encoding < 1 || encoding > 255) {
        throw new RangeError(`ChunkFileWriter: encoding ${encoding} is not a byte between 1 and 255`);
      }
      const len = data.length;
      const frame = uvarintSize(len) + 1 + len + 4;
      if (
        this.#file === undefined ||
        (this.#size + frame > this.#segmentBytes && this.#size > CHUNK_SEGMENT_HEADER_BYTES)
      ) {
        await this.#cut();
      }
      const ref = chunkRef(this.#seq - 1, this.#size);
      if (this.#bufLen + frame > this.#buf.length) await this.#writeBuffer();
      if (frame > this.#buf.length) {
        const big = new Uint8Array(frame);
        putFrame(big, 0, data, encoding);
        await this.#write(big);
      } else {
        this.#bufLen = putFrame(this.#buf, this.#bufLen, data, encoding);
      }
      this.#size += frame;
      return ref;
    } finally {
      this.#busy = false;
    }
  }

  /** Hands every buffered chunk to the operating system (no fsync). */
  async flush(): Promise<void> {
    this.#enter();
    try {
      await this.#writeBuffer();
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Makes every appended chunk durable: writes the buffer, `fdatasync`s the current segment, and
   * `fsync`s the directory if a segment was created since the last sync.
   */
  async sync(): Promise<void> {
    this.#enter();
    try {
      await this.#sync();
    } finally {
      this.#busy = false;
    }
  }

  /** Syncs (as {@link sync}) and closes the current segment. The writer cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#failed !== undefined) {
      // Release the file, then report the earlier failure.
      this.#closed = true;
      await this.#file?.close().catch(() => {});
      this.#file = undefined;
      throw new ChunkFileError(
        "writer_failed",
        this.#path,
        this.#size,
        `an earlier write failed: ${this.#failed}`,
      );
    }
    this.#enter();
    try {
      await this.#sync();
      await this.#file?.close();
      this.#file = undefined;
      this.#closed = true;
    } finally {
      this.#busy = false;
    }
  }

  #enter(): void {
    if (this.#failed !== undefined) {
      throw new ChunkFileError(
        "writer_failed",
        this.#path,
        this.#size,
        `an earlier write failed: ${this.#failed}`,
      );
    }
    if (this.#closed) throw new Error(`ChunkFileWriter: ${this.#dir} is closed`);
    if (this.#busy) throw new Error("ChunkFileWriter: a call is still in progress; await each call");
    this.#busy = true;
  }

  async #sync(): Promise<void> {
    await this.#writeBuffer();
    if (this.#file !== undefined) await this.#io(this.#file.datasync());
    if (this.#dirDirty) {
      const d = await open(this.#dir, "r");
      try {
        await this.#io(d.sync());
      } finally {
        await d.close();
      }
      this.#dirDirty = false;
    }
  }

  /** Finishes the current segment (synced, closed) and starts the next with its header buffered. */
  async #cut(): Promise<void> {
    if (this.#file !== undefined) {
      await this.#writeBuffer();
      await this.#io(this.#file.datasync());
      await this.#io(this.#file.close());
      this.#file = undefined;
    }
    const seq = this.#seq + 1;
    if (seq > MAX_SEGMENTS) {
      throw new RangeError(`ChunkFileWriter: ${this.#dir} would need more than ${MAX_SEGMENTS} segments`);
    }
    const path = join(this.#dir, segmentName(seq));
    this.#file = await this.#io(open(path, "wx"));
    this.#seq = seq;
    this.#path = path;
    this.#dirDirty = true;
    const b = this.#buf;
    b[0] = CHUNK_SEGMENT_MAGIC >>> 24;
    b[1] = CHUNK_SEGMENT_MAGIC >>> 16;
    b[2] = CHUNK_SEGMENT_MAGIC >>> 8;
    b[3] = CHUNK_SEGMENT_MAGIC;
    b[4] = CHUNK_SEGMENT_VERSION;
    b.fill(0, 5, CHUNK_SEGMENT_HEADER_BYTES);
    this.#bufLen = CHUNK_SEGMENT_HEADER_BYTES;
    this.#size = CHUNK_SEGMENT_HEADER_BYTES;
  }

  async #writeBuffer(): Promise<void> {
    if (this.#bufLen === 0) return;
    await this.#write(this.#buf.subarray(0, this.#bufLen));
    this.#bufLen = 0;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const file = this.#file;
    if (file === undefined) throw new Error("ChunkFileWriter: no segment open");
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#io(file.write(bytes, done, bytes.length - done));
      done += bytesWritten;
    }
  }

  /** Awaits an I/O operation, remembering its failure so that the writer refuses further calls. */
  async #io<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      this.#failed = e;
      throw e;
    }
  }
}

/** Writes the frame of a chunk into `buf` at `pos`; returns the position after it. */
function putFrame(buf: Uint8Array, pos: number, data: Uint8Array, encoding: number): number {
  let p = pos;
  let n = data.length;
  while (n >= 0x80) {
    buf[p++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[p++] = n;
  const crcFrom = p;
  buf[p++] = encoding;
  buf.set(data, p);
  p += data.length;
  const crc = crc32c(buf, 0, crcFrom, p);
  buf[p++] = crc >>> 24;
  buf[p++] = crc >>> 16;
  buf[p++] = crc >>> 8;
  buf[p++] = crc;
  return p;
}

interface Segment {
  readonly path: string;
  readonly file: FileHandle;
  size: number;
}

/**
 * Reads chunks from the segment files of a directory by reference, with synchronous positional
 * reads (see `docs/format/chunks.md` for why). Every chunk's CRC32C is checked. Call
 * {@link close} when done; not safe to use after that.
 */
export class ChunkFileReader {
  readonly #dir: string;
  readonly #segments: Segment[];
  #scratch = new Uint8Array(READ_WINDOW);

  private constructor(dir: string, segments: Segment[]) {
    this.#dir = dir;
    this.#segments = segments;
  }

  /**
   * Opens the segments of `dir`, which must be numbered 000001, 000002, … without a gap, and checks
   * their headers. Throws {@link ChunkFileError} (`segment_sequence`, `segment_header`).
   */
  static async open(dir: string): Promise<ChunkFileReader> {
    const list = await listSegments(dir);
    const segments: Segment[] = [];
    try {
      for (const [i, { seq, name }] of list.entries()) {
        const path = join(dir, name);
        if (seq !== i + 1) {
          throw new ChunkFileError(
            "segment_sequence",
            path,
            0,
            `expected segment ${segmentName(i + 1)}: segment files must be numbered from 000001 without gaps`,
          );
        }
        const file = await open(path, "r");
        const segment = { path, file, size: (await file.stat()).size };
        segments.push(segment);
        checkHeader(segment);
      }
    } catch (e) {
      await Promise.all(segments.map((s) => s.file.close()));
      throw e;
    }
    return new ChunkFileReader(dir, segments);
  }

  /** The directory read from. */
  get dir(): string {
    return this.#dir;
  }

  /** The number of segment files. */
  get segmentCount(): number {
    return this.#segments.length;
  }

  /**
   * The data of the XOR chunk at `ref`, in a new array owned by the caller. Throws
   * {@link ChunkFileError}: `chunk_ref` for a reference outside the files, `chunk_truncated`,
   * `chunk_checksum` for damaged bytes, `chunk_encoding` for a chunk that is not XOR.
   */
  chunk(ref: number): Uint8Array {
    const index = chunkRefSegment(ref);
    const offset = chunkRefOffset(ref);
    const segment = this.#segments[index];
    if (!Number.isSafeInteger(ref) || ref < 0 || segment === undefined) {
      throw new ChunkFileError(
        "chunk_ref",
        join(this.#dir, segmentName(index + 1)),
        offset,
        `chunk reference ${ref} names segment index ${index}, but there are ${this.#segments.length} segments`,
      );
    }
    if (offset < CHUNK_SEGMENT_HEADER_BYTES || offset >= segment.size) {
      // The file may have grown since it was opened (a writer still appending).
      segment.size = fstatSync(segment.file.fd).size;
      if (offset < CHUNK_SEGMENT_HEADER_BYTES || offset >= segment.size) {
        throw new ChunkFileError(
          "chunk_ref",
          segment.path,
          offset,
          `chunk reference ${ref} points outside the file of ${segment.size} bytes`,
        );
      }
    }
    let buf = this.#scratch;
    let got = readAt(segment, buf, offset, Math.min(buf.length, segment.size - offset));
    // len <uvarint>
    let len = 0;
    let p = 0;
    for (let scale = 1; ; scale *= 128) {
      if (p >= got || p >= 10) {
        throw new ChunkFileError(
          "chunk_truncated",
          segment.path,
          offset,
          "the chunk length is cut off or malformed",
        );
      }
      const b = buf[p++]!;
      len += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    const frame = p + 1 + len + 4;
    if (offset + frame > segment.size) {
      throw new ChunkFileError(
        "chunk_truncated",
        segment.path,
        offset,
        `a chunk of ${len} bytes runs past the end of the file of ${segment.size} bytes`,
      );
    }
    if (frame > got) {
      if (frame > buf.length) {
        buf = new Uint8Array(frame);
        if (frame <= 1024 * 1024) this.#scratch = buf;
      }
      got = readAt(segment, buf, offset, frame);
      if (got < frame) {
        throw new ChunkFileError("chunk_truncated", segment.path, offset, "the file shrank while being read");
      }
    }
    const end = p + 1 + len;
    const want = ((buf[end]! << 24) | (buf[end + 1]! << 16) | (buf[end + 2]! << 8) | buf[end + 3]!) >>> 0;
    const crc = crc32c(buf, 0, p, end);
    if (crc !== want) {
      throw new ChunkFileError(
        "chunk_checksum",
        segment.path,
        offset,
        `chunk checksum mismatch: stored ${hex32(want)}, computed ${hex32(crc)}`,
      );
    }
    const encoding = buf[p]!;
    if (encoding !== ENCODING_XOR) {
      throw new ChunkFileError(
        "chunk_encoding",
        segment.path,
        offset,
        `chunk encoding ${encoding} is not XOR (${ENCODING_XOR}); histogram chunks are not supported yet`,
      );
    }
    return buf.slice(p + 1, end);
  }

  /** Closes the segment files. */
  async close(): Promise<void> {
    const segments = this.#segments.splice(0);
    await Promise.all(segments.map((s) => s.file.close()));
  }
}

function checkHeader(segment: Segment): void {
  const h = new Uint8Array(CHUNK_SEGMENT_HEADER_BYTES);
  const got = readAt(segment, h, 0, Math.min(h.length, segment.size));
  if (got < CHUNK_SEGMENT_HEADER_BYTES) {
    throw new ChunkFileError(
      "segment_header",
      segment.path,
      0,
      `a segment file of ${got} bytes has no header`,
    );
  }
  const magic = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  if (magic !== CHUNK_SEGMENT_MAGIC) {
    throw new ChunkFileError(
      "segment_header",
      segment.path,
      0,
      `magic ${hex32(magic)} is not that of a chunk segment (${hex32(CHUNK_SEGMENT_MAGIC)})`,
    );
  }
  if (h[4] !== CHUNK_SEGMENT_VERSION) {
    throw new ChunkFileError("segment_header", segment.path, 4, `unknown chunk segment version ${h[4]}`);
  }
}

/** Reads up to `length` bytes at `position` into `buf` from 0; returns how many were read. */
function readAt(segment: Segment, buf: Uint8Array, position: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(segment.file.fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
