/**
 * The byte encodings of the block index (docs/format/index.md, "Conventions"): unsigned LEB128
 * (`uvarint`), zigzag LEB128 (`svarint`) and little-endian `u32`/`u64`, for every safe integer.
 */
import { IndexCorruptedError, type IndexSection } from "./index-errors.js";

const TWO_32 = 4294967296;
const TWO_31 = 2147483648;

/**
 * A growable byte buffer that the index writer encodes into. {@link ByteWriter.bytes} returns a
 * view of what was written, valid until the next write or {@link ByteWriter.reset}.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #pos = 0;

  /** A writer whose buffer starts at `initialCapacity` bytes and doubles when full. */
  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  /** The bytes written so far: a view into the writer's buffer, not a copy. */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.#pos = 0;
  }

  /** A non-negative safe integer as an unsigned LEB128 varint (1 to 8 bytes). */
  uvarint(v: number): void {
    this.#reserve(8);
    const buf = this.#buf;
    let pos = this.#pos;
    if (v >= 0 && v < TWO_31 && (v | 0) === v) {
      while (v >= 0x80) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new RangeError(`uvarint: ${v} is not a non-negative safe integer`);
      while (v >= 0x80) {
        buf[pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      buf[pos++] = v;
    }
    this.#pos = pos;
  }

  /**
   * A safe integer as a zigzag varint. The first byte carries the sign and the low six bits of the
   * magnitude, so values whose zigzag form exceeds 2^53 are written exactly.
   */
  svarint(v: number): void {
    if ((v | 0) === v && v >= -0x40000000 && v < 0x40000000) {
      this.uvarint(((v << 1) ^ (v >> 31)) >>> 0); // 32-bit zigzag, below 2^31
      return;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`svarint: ${v} is not a safe integer`);
    const sign = v < 0 ? 1 : 0;
    const m = sign === 1 ? -v - 1 : v; // zigzag(v) = 2m + sign
    if (m < 64) {
      this.#reserve(1);
      this.#buf[this.#pos++] = m * 2 + sign;
      return;
    }
    this.#reserve(1);
    this.#buf[this.#pos++] = ((m % 64) * 2 + sign) | 0x80;
    this.uvarint(Math.floor(m / 64));
  }

  /** A 32-bit unsigned integer, little-endian. */
  u32(v: number): void {
    this.#reserve(4);
    const buf = this.#buf;
    const pos = this.#pos;
    buf[pos] = v & 0xff;
    buf[pos + 1] = (v >>> 8) & 0xff;
    buf[pos + 2] = (v >>> 16) & 0xff;
    buf[pos + 3] = (v >>> 24) & 0xff;
    this.#pos = pos + 4;
  }

  /** A non-negative safe integer as a 64-bit unsigned integer, little-endian. */
  u64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.u32(v - hi * TWO_32);
    this.u32(hi);
  }

  /** Overwrites the `u32` at byte `at` (which must have been written). */
  setU32(at: number, v: number): void {
    const buf = this.#buf;
    buf[at] = v & 0xff;
    buf[at + 1] = (v >>> 8) & 0xff;
    buf[at + 2] = (v >>> 16) & 0xff;
    buf[at + 3] = (v >>> 24) & 0xff;
  }

  /** Appends `src[start, end)`. */
  raw(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.#reserve(n);
    this.#buf.set(src.subarray(start, end), this.#pos);
    this.#pos += n;
  }

  #reserve(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }
}

/** Reads a little-endian `u32` at `pos` of `buf`; the caller has checked the bounds. */
export function readU32(buf: Uint8Array, pos: number): number {
  return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
}

/** Reads a little-endian `u64` at `pos` of `buf` as a number; the caller has checked the bounds. */
export function readU64(buf: Uint8Array, pos: number): number {
  return readU32(buf, pos + 4) * TWO_32 + readU32(buf, pos);
}

/**
 * A read position over `buf[pos, end)` of one section of an index file. Every read is bounded by
 * `end`; a read that would cross it, or a varint that is not a safe integer, throws
 * {@link IndexCorruptedError} naming the file and the section. The cursor borrows `buf`.
 */
export class ByteCursor {
  /** Position of the next byte to read. */
  pos: number;
  /** One past the last readable byte. */
  end: number;

  constructor(
    /** The whole file (or whatever `pos` and `end` index into). */
    readonly buf: Uint8Array,
    pos: number,
    end: number,
    /** The file, for errors. */
    readonly file: string,
    /** The section, for errors. */
    readonly section: IndexSection,
  ) {
    this.pos = pos;
    this.end = end;
  }

  /** Reads an unsigned varint. */
  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) this.fail("truncated varint");
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    let mul = 128;
    for (;;) {
      if (pos >= this.end) this.fail("truncated varint");
      b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 49) this.fail("varint longer than 8 bytes");
    }
    if (v > Number.MAX_SAFE_INTEGER) this.fail("varint beyond 2^53");
    this.pos = pos;
    return v;
  }

  /** Reads a zigzag varint. */
  svarint(): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos >= this.end) this.fail("truncated varint");
    const b = buf[pos]!;
    const sign = b & 1;
    let m = (b >>> 1) & 0x3f;
    this.pos = pos + 1;
    if (b >= 0x80) m += this.uvarint() * 64;
    if (m > Number.MAX_SAFE_INTEGER) this.fail("varint beyond 2^53");
    return sign === 1 ? -m - 1 : m;
  }

  /** Reads a little-endian `u32`. */
  u32(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) this.fail("truncated u32");
    this.pos = pos + 4;
    return readU32(this.buf, pos);
  }

  /** Moves forward by `n` bytes, which must lie within the section. */
  skip(n: number): void {
    if (n > this.end - this.pos) this.fail(`a length of ${n} runs past the end`);
    this.pos += n;
  }

  /** Throws {@link IndexCorruptedError} for this cursor's file and section, at the current position. */
  fail(detail: string): never {
    throw new IndexCorruptedError(this.file, this.section, `${detail} (at byte ${this.pos} of the file)`);
  }
}
