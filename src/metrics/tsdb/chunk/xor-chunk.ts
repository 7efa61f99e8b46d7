import type { SampleIterator } from "../../storage/interface.js";
import { BitWriter, peek32 } from "./bitstream.js";

/**
 * The XOR chunk: delta-of-delta timestamps and XOR'd float values (Gorilla), bit-compatible with
 * Prometheus's XOR chunks. `docs/format/chunks.md` is the specification; this file follows it.
 *
 * Values move between numbers and their 64 bits only through the shared `Float64Array`/`Uint32Array`
 * view below, so NaN payloads (the stale marker) survive bit for bit. Timestamps are integers in
 * `number`s; the rare deltas beyond the safe integer range are computed with BigInt off the hot path.
 */

/** The `encoding` byte of an XOR chunk in a segment file. */
export const ENCODING_XOR = 1;

/** The most samples a chunk can hold: its count is a uint16. */
export const XOR_CHUNK_MAX_SAMPLES = 0xffff;

/** How many samples the head puts in a chunk before cutting the next (30 min at 15 s). */
export const XOR_CHUNK_TARGET_SAMPLES = 120;

/** The size in bytes a chunk must not pass; cut before appending when it holds more than this − 19. */
export const XOR_CHUNK_MAX_BYTES = 1024;

/** An upper bound on the bytes one sample after the second adds to a chunk (145 bits). */
export const XOR_CHUNK_MAX_SAMPLE_BYTES = 19;

/**
 * Room kept free in an appender's buffer before a sample: the most a sample adds, plus the 5 bytes
 * a bit write may touch past its position (`BitWriter.writeBits`).
 */
const GROW_AHEAD = XOR_CHUNK_MAX_SAMPLE_BYTES + 5;

/** What is wrong with a chunk that cannot be decoded. */
export type XorChunkErrorCode =
  | "xor_truncated" // the data ends before the samples its header counts
  | "xor_bad_window" // a value window with more than 64 bits
  | "xor_bad_varint" // a varint longer than 10 bytes
  | "xor_unsafe_timestamp"; // a timestamp beyond ±(2^53 − 1), which a number cannot hold exactly

/** Undecodable chunk data: thrown by {@link XorChunkIterator}, with a stable code. */
export class XorChunkError extends Error {
  constructor(
    readonly code: XorChunkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "XorChunkError";
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_32 = 4294967296;

// One scratch float and its two 32-bit halves, in platform byte order.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Number of trailing zero bits of a non-zero int32. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The numbers {@link XorChunkAppender.saveState} writes. */
export const XOR_APPENDER_STATE_FIELDS = 12;

/**
 * Encodes samples into a new XOR chunk. Timestamps (ms) must be safe integers and should increase,
 * though any order encodes; values are stored bit for bit. Not safe for concurrent use. An appender
 * can move to another thread as its bytes and its state ({@link saveState}, {@link resume}).
 */
export class XorChunkAppender {
  #w: BitWriter;
  #n = 0;
  #minT = Number.POSITIVE_INFINITY;
  #t = 0;
  /** The last delta, ms; NaN when it is beyond the safe range (then in #deltaBig). */
  #delta = 0;
  #deltaBig = 0n;
  #vHi = 0;
  #vLo = 0;
  /** The value window: 0xff until the first `11` value sets it. */
  #leading = 0xff;
  #trailing = 0;
  /** Bytes once the first sample (full timestamp and value) is written. */
  #firstBytes = 0;

  /** An empty chunk with room for `initialBytes` before its buffer first grows. */
  constructor(initialBytes = 128) {
    this.#w = new BitWriter(initialBytes);
    this.#w.writeBits(0, 16);
  }

  /**
   * Writes what, with {@link bytes}, continues this chunk elsewhere: {@link XOR_APPENDER_STATE_FIELDS}
   * numbers into `out` from `at`. See {@link resume}.
   */
  saveState(out: Float64Array, at: number): void {
    out[at] = this.#n;
    out[at + 1] = this.#minT;
    out[at + 2] = this.#t;
    out[at + 3] = this.#delta;
    // The exact delta when it is beyond the safe range: its two's complement halves.
    const big = BigInt.asUintN(64, this.#deltaBig);
    out[at + 4] = Number(big >> 32n);
    out[at + 5] = Number(big & 0xffffffffn);
    out[at + 6] = this.#vHi;
    out[at + 7] = this.#vLo;
    out[at + 8] = this.#leading;
    out[at + 9] = this.#trailing;
    out[at + 10] = this.#firstBytes;
    out[at + 11] = this.#w.bitLength;
  }

  /**
   * The appender that {@link saveState} wrote `state[at…]` of, after {@link bytes} gave `bytes`
   * (copied): it appends exactly as that one would have.
   */
  static resume(bytes: Uint8Array, state: Float64Array, at: number): XorChunkAppender {
    const a = new XorChunkAppender(8);
    a.#w = BitWriter.resume(bytes, state[at + 11]!);
    a.#n = state[at]!;
    a.#minT = state[at + 1]!;
    a.#t = state[at + 2]!;
    a.#delta = state[at + 3]!;
    a.#deltaBig = BigInt.asIntN(64, (BigInt(state[at + 4]!) << 32n) | BigInt(state[at + 5]!));
    a.#vHi = state[at + 6]!;
    a.#vLo = state[at + 7]!;
    a.#leading = state[at + 8]!;
    a.#trailing = state[at + 9]!;
    a.#firstBytes = state[at + 10]!;
    return a;
  }

  /** Samples appended so far. */
  get numSamples(): number {
    return this.#n;
  }

  /** The first timestamp, ms; +Infinity while the chunk is empty. */
  get minT(): number {
    return this.#minT;
  }

  /** The last timestamp appended, ms; −Infinity while the chunk is empty. */
  get maxT(): number {
    return this.#n === 0 ? Number.NEGATIVE_INFINITY : this.#t;
  }

  /** The encoded size so far, bytes. */
  get byteLength(): number {
    return this.#w.byteLength;
  }

  /**
   * The chunk data so far (header, samples, zero padding). A view of the appender's buffer, valid
   * until the next `append`, which changes its bytes or moves the buffer; `slice()` it to keep it.
   * One exception: an iterator already `reset` on the view keeps decoding exactly the samples the
   * view held, whatever is appended later, so the head can read its open chunk without a copy.
   */
  bytes(): Uint8Array {
    // The count is patched in here rather than on every append.
    const buf = this.#w.buffer;
    buf[0] = this.#n >>> 8;
    buf[1] = this.#n;
    return this.#w.bytes();
  }

  /**
   * Adds the sample `(t, v)`: `t` in ms, a safe integer. Throws a RangeError for a `t` that is not,
   * or once the chunk holds {@link XOR_CHUNK_MAX_SAMPLES}; the chunk is unchanged then.
   */
  append(t: number, v: number): void {
    if (!Number.isSafeInteger(t))
      throw new RangeError(`XorChunkAppender: timestamp ${t} is not a safe integer`);
    const n = this.#n;
    if (n >= XOR_CHUNK_MAX_SAMPLES) {
      throw new RangeError(`XorChunkAppender: a chunk holds at most ${XOR_CHUNK_MAX_SAMPLES} samples`);
    }
    f64[0] = v;
    const hi = u32[HI]! | 0;
    const lo = u32[LO]! | 0;
    const w = this.#w;
    if (w.byteLength + GROW_AHEAD > w.capacity) this.#grow();
    if (n === 0) {
      writeVarint(w, t);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      this.#vHi = hi;
      this.#vLo = lo;
      this.#minT = t;
      this.#firstBytes = w.byteLength;
    } else if (n === 1) {
      const delta = t - this.#t;
      if (Number.isSafeInteger(delta)) {
        writeUvarint64(w, Math.floor(delta / TWO_32) >>> 0, delta >>> 0);
        this.#delta = delta;
      } else {
        const big = BigInt(t) - BigInt(this.#t);
        const u = BigInt.asUintN(64, big);
        writeUvarint64(w, Number(u >> 32n), Number(u & 0xffffffffn));
        this.#delta = Number.NaN;
        this.#deltaBig = big;
      }
      this.#appendValue(hi, lo, 0, 0);
    } else {
      const delta = t - this.#t;
      const dod = delta - this.#delta; // NaN when the last delta is not exact: takes the slow path
      if (dod === 0) {
        this.#appendValue(hi, lo, 0, 1);
      } else if (dod >= -8191 && dod <= 8192 && delta <= MAX_SAFE && delta >= -MAX_SAFE) {
        this.#delta = delta;
        this.#appendValue(hi, lo, (0b10 << 14) | (dod & 0x3fff), 16);
      } else {
        this.#appendSlowDod(t);
        this.#appendValue(hi, lo, 0, 0);
      }
    }
    this.#t = t;
    this.#n = n + 1;
  }

  /**
   * Makes room for the next sample. Below {@link XOR_CHUNK_TARGET_SAMPLES} samples, room for the
   * target at the size per sample seen so far (those after the first), up to the size the head cuts
   * a chunk at, so that a chunk the head fills grows once or twice rather than at every doubling
   * from its small first buffer; at least double the buffer in any case.
   */
  #grow(): void {
    const w = this.#w;
    const n = this.#n;
    const used = w.byteLength;
    let want = w.capacity * 2;
    if (n >= 2 && n < XOR_CHUNK_TARGET_SAMPLES) {
      const perSample = (used - this.#firstBytes) / (n - 1);
      const projected = Math.ceil(used + perSample * (XOR_CHUNK_TARGET_SAMPLES - n)) + GROW_AHEAD;
      want = Math.max(want, Math.min(projected, XOR_CHUNK_MAX_BYTES + GROW_AHEAD));
    }
    w.reserve(want);
  }

  /**
   * The dod of a sample whose delta or dod is not a small exact number: computed exactly (with
   * BigInt when a delta leaves the safe range), then written in the first bucket that holds it.
   */
  #appendSlowDod(t: number): void {
    const w = this.#w;
    const delta = t - this.#t;
    let dod = delta - this.#delta;
    let bigDod = 0n;
    const exact = Number.isSafeInteger(delta) && Number.isSafeInteger(dod);
    if (exact) {
      this.#delta = delta;
    } else {
      const bigDelta = BigInt(t) - BigInt(this.#t);
      const prev = Number.isNaN(this.#delta) ? this.#deltaBig : BigInt(this.#delta);
      // |bigDelta|, |prev| < 2^54, so this cannot wrap.
      bigDod = bigDelta - prev;
      dod = Number(bigDod); // exact whenever it is small enough for a short bucket
      this.#delta = Number.isSafeInteger(delta) ? delta : Number.NaN;
      this.#deltaBig = bigDelta;
    }
    if (dod === 0) {
      w.writeBit(0);
    } else if (dod >= -8191 && dod <= 8192) {
      w.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
    } else if (dod >= -65535 && dod <= 65536) {
      w.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
    } else if (dod >= -524287 && dod <= 524288) {
      w.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
    } else if (exact) {
      w.writeBits(0b1111, 4);
      w.writeBits64(Math.floor(dod / TWO_32) >>> 0, dod >>> 0, 64);
    } else {
      const u = BigInt.asUintN(64, bigDod);
      w.writeBits(0b1111, 4);
      w.writeBits64(Number(u >> 32n), Number(u & 0xffffffffn), 64);
    }
  }

  /**
   * `varbit_xor` of the value whose bits are `hi:lo` against the previous one, after the
   * `prefixBits` (≤ 16) bits of `prefix`: the dod's bits, written together with the value's control
   * bits in one call.
   */
  #appendValue(hi: number, lo: number, prefix: number, prefixBits: number): void {
    const w = this.#w;
    const xh = hi ^ this.#vHi;
    const xl = lo ^ this.#vLo;
    this.#vHi = hi;
    this.#vLo = lo;
    if ((xh | xl) === 0) {
      w.writeBits(prefix << 1, prefixBits + 1);
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (leading > 31) leading = 31;
    let l = this.#leading;
    let tr = this.#trailing;
    if (l !== 0xff && leading >= l && trailing >= tr) {
      w.writeBits((prefix << 2) | 0b10, prefixBits + 2);
    } else {
      l = leading;
      tr = trailing;
      this.#leading = l;
      this.#trailing = tr;
      // `11`, 5 bits of leading, 6 bits of significant bits (64 written as 0).
      w.writeBits((prefix << 13) | (0b11 << 11) | (l << 6) | ((64 - l - tr) & 63), prefixBits + 13);
    }
    const sig = 64 - l - tr;
    // (xh:xl) >> tr, then its low `sig` bits.
    if (tr === 0) {
      w.writeBits64(xh, xl, sig);
    } else if (tr < 32) {
      w.writeBits64(xh >>> tr, (xl >>> tr) | (xh << (32 - tr)), sig);
    } else {
      w.writeBits(xh >>> (tr - 32), sig);
    }
  }
}

/** Writes the zigzag varint of the safe integer `x`. */
function writeVarint(w: BitWriter, x: number): void {
  const hi = Math.floor(x / TWO_32);
  const lo = x - hi * TWO_32;
  const sign = hi < 0 ? -1 : 0;
  // zigzag: (x << 1) ^ (x >> 63), over the two 32-bit halves.
  writeUvarint64(w, ((hi << 1) | (lo >>> 31)) ^ sign, (lo << 1) ^ sign);
}

/** Writes the uvarint of the uint64 `hi · 2^32 + lo` (both given as 32-bit patterns). */
function writeUvarint64(w: BitWriter, hi: number, lo: number): void {
  let h = hi >>> 0;
  let l = lo >>> 0;
  while (h !== 0 || l >= 0x80) {
    w.writeBits((l & 0x7f) | 0x80, 8);
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  w.writeBits(l, 8);
}

/**
 * A {@link SampleIterator} over the data of one XOR chunk. It reads the caller's bytes in place
 * (they must not change while it is in use) and allocates nothing per sample; `reset` points it at
 * another chunk. Throws {@link XorChunkError} from `reset`/`next`/`seek` for data it cannot decode.
 */
export class XorChunkIterator implements SampleIterator {
  #buf: Uint8Array = new Uint8Array(0);
  /** The bit position of the next sample. */
  #pos = 0;
  #n = 0;
  #read = 0;
  #ended = true;
  #t = 0;
  #v = 0;
  /** The last delta, ms; NaN when it is beyond the safe range (then in #deltaBig). */
  #delta = 0;
  #deltaBig = 0n;
  #vHi = 0;
  #vLo = 0;
  // The value window and what it means for reading: `hiBits` (≥ 1) bits land in the high word at
  // `hiShift`, then `loBits` bits in the low word at `trailing`.
  #trailing = 0;
  #hiBits = 32;
  #hiShift = 0;
  #loBits = 32;

  /** An iterator over `bytes` (the chunk data, without the segment file's framing), or an empty one. */
  constructor(bytes?: Uint8Array) {
    if (bytes !== undefined) this.reset(bytes);
  }

  /** Starts over on another chunk's data, reusing this iterator. */
  reset(bytes: Uint8Array): void {
    this.#buf = bytes;
    this.#pos = 16;
    this.#read = 0;
    this.#ended = false;
    this.#vHi = 0;
    this.#vLo = 0;
    // No window yet; a (corrupt) `10` before any `11` reads 64 bits, as Prometheus does.
    this.#trailing = 0;
    this.#hiBits = 32;
    this.#hiShift = 0;
    this.#loBits = 32;
    this.#n = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : 0;
    if (bytes.length === 1) this.#truncated();
  }

  /** The number of samples in the chunk, from its header. */
  get numSamples(): number {
    return this.#n;
  }

  /** Current timestamp, ms. Valid only after next()/seek() returned true. */
  get t(): number {
    return this.#t;
  }

  /** Current value, bit for bit as appended. Valid only after next()/seek() returned true. */
  get v(): number {
    return this.#v;
  }

  /** Moves to the next sample; false at the end (and on every later call). */
  next(): boolean {
    const i = this.#read;
    if (i >= this.#n || this.#ended) {
      this.#ended = true;
      return false;
    }
    const buf = this.#buf;
    let pos = this.#pos;
    // The first bits of the value, whose control bits are at the top.
    let w: number;
    if (i >= 2) {
      // One 32-bit look covers the dod's prefix and, when the dod is 0, the value's control bits.
      w = peek32(buf, pos);
      if (w >= 0) {
        // `0`: dod = 0.
        pos += 1;
        w <<= 1;
        const t = this.#t + this.#delta;
        if (t <= MAX_SAFE && t >= -MAX_SAFE) this.#t = t;
        else this.#advanceBig(0n);
      } else {
        const p = w >>> 28;
        if (p < 12) {
          pos += 16;
          const x = (w >>> 16) & 0x3fff;
          this.#advance(x > 8192 ? x - 16384 : x);
        } else if (p < 14) {
          pos += 20;
          const x = (w >>> 12) & 0x1ffff;
          this.#advance(x > 65536 ? x - 131072 : x);
        } else if (p === 14) {
          pos += 24;
          const x = (w >>> 8) & 0xfffff;
          this.#advance(x > 524288 ? x - 1048576 : x);
        } else {
          this.#advanceLarge(peek32(buf, pos + 4), peek32(buf, pos + 36));
          pos += 68;
        }
        w = peek32(buf, pos);
      }
    } else if (i === 1) {
      pos = this.#readFirstDelta(pos);
      w = peek32(buf, pos);
    } else {
      return this.#readFirst(pos);
    }
    // The value.
    if (w >= 0) {
      // `0`: the same value, bit for bit.
      pos += 1;
    } else {
      if ((w & 0x40000000) === 0) {
        // `10`: the current window.
        pos += 2;
      } else {
        // `11`: 5 bits of leading zeros, 6 of significant bits (0 meaning 64), then a new window.
        pos += 13;
        this.#setWindow((w >>> 25) & 31, (w >>> 19) & 63 || 64);
      }
      const hiBits = this.#hiBits;
      this.#vHi ^= (peek32(buf, pos) >>> (32 - hiBits)) << this.#hiShift;
      pos += hiBits;
      const loBits = this.#loBits;
      if (loBits !== 0) {
        this.#vLo ^= (peek32(buf, pos) >>> (32 - loBits)) << this.#trailing;
        pos += loBits;
      }
      u32[HI] = this.#vHi;
      u32[LO] = this.#vLo;
      this.#v = f64[0]!;
    }
    this.#pos = pos;
    if (pos > buf.length * 8) this.#truncated();
    this.#read = i + 1;
    return true;
  }

  /** Moves to the first sample with timestamp ≥ `t` (ms), never backwards; false if there is none. */
  seek(t: number): boolean {
    if (this.#ended) return false;
    if (this.#read > 0 && this.#t >= t) return true;
    while (this.next()) {
      if (this.#t >= t) return true;
    }
    return false;
  }

  /** Applies a dod that fits a number exactly. */
  #advance(dod: number): void {
    const d = this.#delta + dod;
    const t = this.#t + d;
    // NaN (a delta beyond the safe range) fails these comparisons too.
    if (d <= MAX_SAFE && d >= -MAX_SAFE && t <= MAX_SAFE && t >= -MAX_SAFE) {
      this.#delta = d;
      this.#t = t;
    } else {
      this.#advanceBig(BigInt(dod));
    }
  }

  /** Applies the 64-bit dod `hi:lo` (two's complement). */
  #advanceLarge(hi: number, lo: number): void {
    const dod = hi * TWO_32 + (lo >>> 0);
    if (Number.isSafeInteger(dod)) this.#advance(dod);
    else this.#advanceBig(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)));
  }

  /** Applies a dod in exact int64 arithmetic, wrapping as Go does. */
  #advanceBig(dod: bigint): void {
    const prev = Number.isNaN(this.#delta) ? this.#deltaBig : BigInt(this.#delta);
    const d = BigInt.asIntN(64, prev + dod);
    this.#setTime(BigInt.asIntN(64, BigInt(this.#t) + d));
    const n = Number(d);
    this.#delta = Number.isSafeInteger(n) ? n : Number.NaN;
    this.#deltaBig = d;
  }

  /** Sets the timestamp from an exact int64, refusing what a number cannot hold. */
  #setTime(t: bigint): void {
    const n = Number(t);
    if (!Number.isSafeInteger(n)) {
      throw new XorChunkError(
        "xor_unsafe_timestamp",
        `XOR chunk: timestamp ${t} of sample ${this.#read} is beyond the safe integer range`,
      );
    }
    this.#t = n;
  }

  /** Sets the value window from the `11` header's fields. */
  #setWindow(leading: number, sig: number): void {
    const trailing = 64 - leading - sig;
    if (trailing < 0) {
      throw new XorChunkError(
        "xor_bad_window",
        `XOR chunk: sample ${this.#read} has ${leading} leading zeros and ${sig} significant bits`,
      );
    }
    this.#trailing = trailing;
    const hiFrom = trailing > 32 ? trailing : 32;
    this.#hiBits = 64 - leading - hiFrom;
    this.#hiShift = hiFrom - 32;
    this.#loBits = trailing < 32 ? 32 - trailing : 0;
  }

  /** Sample 0 at bit `pos`: the varint timestamp and the value's 64 raw bits. */
  #readFirst(pos: number): true {
    const buf = this.#buf;
    const p = readUvarint64(buf, pos);
    // Zigzag back: (u >>> 1) ^ -(u & 1), over the two halves.
    const neg = -(varLo & 1);
    const hi = (varHi >>> 1) ^ neg;
    const lo = ((varLo >>> 1) | (varHi << 31)) ^ neg;
    const t = hi * TWO_32 + (lo >>> 0);
    if (Number.isSafeInteger(t)) this.#t = t;
    else this.#setTime(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)));
    this.#vHi = peek32(buf, p);
    this.#vLo = peek32(buf, p + 32);
    u32[HI] = this.#vHi;
    u32[LO] = this.#vLo;
    this.#v = f64[0]!;
    this.#pos = p + 64;
    if (this.#pos > buf.length * 8) this.#truncated();
    this.#read = 1;
    return true;
  }

  /** Sample 1's timestamp at bit `pos`: the uvarint of the first delta as a uint64. Returns the next position. */
  #readFirstDelta(pos: number): number {
    const p = readUvarint64(this.#buf, pos);
    const hi = varHi;
    const lo = varLo;
    const d = hi * TWO_32 + (lo >>> 0);
    const t = this.#t + d;
    if (Number.isSafeInteger(d) && t <= MAX_SAFE && t >= -MAX_SAFE) {
      this.#delta = d;
      this.#t = t;
    } else {
      const big = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
      this.#setTime(BigInt.asIntN(64, BigInt(this.#t) + big));
      const n = Number(big);
      this.#delta = Number.isSafeInteger(n) ? n : Number.NaN;
      this.#deltaBig = big;
    }
    return p;
  }

  #truncated(): never {
    this.#ended = true;
    throw new XorChunkError(
      "xor_truncated",
      `XOR chunk: the data ends inside sample ${this.#read} of ${this.#n}`,
    );
  }
}

// The result of readUvarint64, as two int32 bit patterns (module state: decoding is synchronous).
let varHi = 0;
let varLo = 0;

/** Reads a uvarint of up to 64 bits at bit `pos` into varHi/varLo; returns the bit position after it. */
function readUvarint64(buf: Uint8Array, pos: number): number {
  let hi = 0;
  let lo = 0;
  let p = pos;
  for (let shift = 0; ; shift += 7) {
    if (shift > 63) throw new XorChunkError("xor_bad_varint", "XOR chunk: a varint is longer than 10 bytes");
    const b = peek32(buf, p) >>> 24;
    p += 8;
    const g = b & 0x7f;
    if (shift < 28) {
      lo |= g << shift;
    } else if (shift === 28) {
      lo |= g << 28;
      hi |= g >>> 4;
    } else {
      hi |= g << (shift - 32);
    }
    if (b < 0x80) break;
  }
  varHi = hi;
  varLo = lo;
  return p;
}
