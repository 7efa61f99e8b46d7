/**
 * Bit streams, most significant bit first (bit 7 of byte 0 is the first bit), as the XOR chunk
 * format needs (`docs/format/chunks.md`). Fields are at most 32 bits per call so that all
 * arithmetic stays in V8's 32-bit integer operations; 64-bit fields go as two 32-bit halves.
 * No BigInt, no allocation per call.
 */

/**
 * Appends bit fields to a byte buffer that grows as needed. The bytes past the current bit position
 * are always zero, so the last byte's unused low bits are zero padding.
 */
export class BitWriter {
  #buf: Uint8Array;
  #bitPos = 0;

  /** A writer whose buffer starts at `initialBytes` bytes (at least 8) and doubles when full. */
  constructor(initialBytes = 128) {
    this.#buf = new Uint8Array(Math.max(8, initialBytes));
  }

  /**
   * A writer that goes on after the first `bitLength` bits of `bytes` (copied; the bits after them
   * in its last byte must be zero, as in what {@link bytes} returns), with room for `capacity` bytes.
   */
  static resume(bytes: Uint8Array, bitLength: number, capacity = 0): BitWriter {
    const n = (bitLength + 7) >>> 3;
    if (!(Number.isSafeInteger(bitLength) && bitLength >= 0 && n <= bytes.length)) {
      throw new RangeError(`BitWriter.resume: ${bitLength} bits do not fit in ${bytes.length} bytes`);
    }
    const w = new BitWriter(Math.max(n, capacity));
    w.#buf.set(bytes.subarray(0, n));
    w.#bitPos = bitLength;
    return w;
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.#bitPos;
  }

  /** Bytes written so far, the last one possibly partial. */
  get byteLength(): number {
    return (this.#bitPos + 7) >>> 3;
  }

  /**
   * A view of the bytes written so far (the last one padded with zero bits). It aliases the
   * writer's buffer: later writes may change its last byte, and a growth leaves it pointing at the
   * old buffer. Copy it (`slice()`) to keep it.
   */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, (this.#bitPos + 7) >>> 3);
  }

  /** The size of the buffer, bytes: a write that ends 5 bytes or more before it does not grow it. */
  get capacity(): number {
    return this.#buf.length;
  }

  /**
   * Grows the buffer to `bytes` now if it is smaller (a writer that can tell how much it will write
   * saves the doublings, each a new buffer and a copy).
   */
  reserve(bytes: number): void {
    if (bytes > this.#buf.length) this.#resize(bytes);
  }

  /** The whole underlying buffer, for in-place patches of bytes already written (a header). */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Writes one bit: 1 if `bit` is non-zero. */
  writeBit(bit: number): void {
    const pos = this.#bitPos;
    const i = pos >>> 3;
    if (i >= this.#buf.length) this.#grow(i + 1);
    if (bit !== 0) this.#buf[i]! |= 0x80 >>> (pos & 7);
    this.#bitPos = pos + 1;
  }

  /**
   * Writes the low `n` bits of `value` (0 ≤ n ≤ 32), most significant first. Higher bits of
   * `value` are ignored, so a negative int32 gives its two's complement bits.
   */
  writeBits(value: number, n: number): void {
    if (n <= 0) return;
    const pos = this.#bitPos;
    const i = pos >>> 3;
    if (i + 5 > this.#buf.length) this.#grow(i + 5);
    const buf = this.#buf;
    const s = pos & 7;
    // The n bits left-aligned in a 32-bit word, then spread over the five bytes from i: the first
    // byte keeps its s bits already written; the others are still zero. Uint8Array stores keep the
    // low 8 bits of what is assigned.
    const w = value << (32 - n);
    buf[i] = buf[i]! | (w >>> (24 + s));
    buf[i + 1] = w >>> (16 + s);
    buf[i + 2] = w >>> (8 + s);
    buf[i + 3] = w >>> s;
    buf[i + 4] = w << (8 - s);
    this.#bitPos = pos + n;
  }

  /** Writes the low `n` bits (0 ≤ n ≤ 64) of the 64-bit integer `hi · 2^32 + lo` (both uint32 bits). */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n <= 32) {
      this.writeBits(lo, n);
    } else {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    }
  }

  #grow(minBytes: number): void {
    let size = this.#buf.length * 2;
    while (size < minBytes) size *= 2;
    this.#resize(size);
  }

  #resize(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.#buf);
    this.#buf = next;
  }
}

/**
 * The 32 bits of `bytes` from bit `bitPos` on, as an int32 (the first bit is the sign bit); bits
 * past the end read as zero. The primitive of {@link BitReader}, exported for decoders that keep
 * their bit position in a local variable on their hot path.
 */
export function peek32(bytes: Uint8Array, bitPos: number): number {
  const i = bitPos >>> 3;
  const s = bitPos & 7;
  if (i + 4 < bytes.length) {
    return (
      (((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) << s) |
      (bytes[i + 4]! >>> (8 - s))
    );
  }
  return tailWord(bytes, i, s);
}

/** The 32 bits from bit `s` of byte `i`, near or past the end of `bytes` (which read as zeros). */
function tailWord(bytes: Uint8Array, i: number, s: number): number {
  const len = bytes.length;
  let w = 0;
  for (let k = 0; k < 4; k++) w = (w << 8) | (i + k < len ? bytes[i + k]! : 0);
  return (w << s) | ((i + 4 < len ? bytes[i + 4]! : 0) >>> (8 - s));
}

/**
 * Reads bit fields from a byte array, most significant bit first. Reading past the end yields zero
 * bits and sets {@link BitReader.overrun}, rather than throwing on the hot path: the caller checks
 * it where a truncated stream must be reported. The reader never copies or changes the bytes; the
 * caller must keep them unchanged while reading.
 */
export class BitReader {
  #buf: Uint8Array;
  #len: number;
  #bitPos = 0;

  /** A reader at bit 0 of `bytes`. */
  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.#buf = bytes;
    this.#len = bytes.length;
  }

  /** Starts over at bit 0 of `bytes`, so that one reader serves many streams without allocation. */
  reset(bytes: Uint8Array): void {
    this.#buf = bytes;
    this.#len = bytes.length;
    this.#bitPos = 0;
  }

  /** Bits consumed so far (may exceed {@link bitLength} after an overrun). */
  get bitPos(): number {
    return this.#bitPos;
  }

  /** Bits in the stream: 8 × its bytes. */
  get bitLength(): number {
    return this.#len * 8;
  }

  /** Whether more bits were consumed than the stream holds (they read as zeros). */
  get overrun(): boolean {
    return this.#bitPos > this.#len * 8;
  }

  /** Reads one bit: 0 or 1. */
  readBit(): number {
    const pos = this.#bitPos;
    this.#bitPos = pos + 1;
    const i = pos >>> 3;
    if (i >= this.#len) return 0;
    return (this.#buf[i]! >>> (7 - (pos & 7))) & 1;
  }

  /**
   * The next 32 bits as an int32 (the first bit is the sign bit), without consuming them. Decoders
   * take several short fields out of one such word.
   */
  peek32(): number {
    return peek32(this.#buf, this.#bitPos);
  }

  /** The next `n` bits (1 ≤ n ≤ 32) as an unsigned number, without consuming them. */
  peekBits(n: number): number {
    return this.peek32() >>> (32 - n);
  }

  /** Consumes `n` bits (n ≥ 0) already looked at with {@link peekBits}. */
  skipBits(n: number): void {
    this.#bitPos += n;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned number. */
  readBits(n: number): number {
    if (n <= 0) return 0;
    const v = this.peekBits(n);
    this.#bitPos += n;
    return v;
  }
}
