/**
 * A growable writer of the protobuf wire format, the counterpart of `ProtobufReader`.
 *
 * Nested messages are written in place: {@link ProtobufWriter.fork} reserves one byte for the length,
 * and {@link ProtobufWriter.join} fills it in, moving the body along by a memmove when the length needs
 * more than one byte (messages over 127 bytes). No sizes are computed ahead; nothing is buffered per message.
 */
const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

/**
 * Appends protobuf values to a buffer that grows as needed. Use it once: after
 * {@link ProtobufWriter.finish} the bytes belong to the caller and the writer starts afresh.
 */
export class ProtobufWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  /** A writer whose buffer starts at `initialCapacity` bytes and doubles when full. */
  constructor(initialCapacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  /** A field tag for `fieldNumber` (1 to 2^29 - 1) and `wireType` (0, 1, 2 or 5; see `WIRE_*` in reader.ts). */
  tag(fieldNumber: number, wireType: number): this {
    return this.uint32(((fieldNumber << 3) | wireType) >>> 0);
  }

  /** A varint of the low 32 bits of `v`, unsigned (protobuf `uint32`; also tags and lengths). */
  uint32(v: number): this {
    let n = v >>> 0;
    this.#reserve(5);
    const buf = this.#buf;
    let pos = this.#pos;
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.#pos = pos;
    return this;
  }

  /**
   * A signed integer as a two's-complement varint (protobuf `int64`, and `int32`/`enum` alike): a
   * negative value takes ten bytes. `v` must be a safe integer; anything else throws a RangeError.
   */
  int64(v: number): this {
    if (v >>> 0 === v) return this.uint32(v);
    if (!Number.isSafeInteger(v)) throw new RangeError(`ProtobufWriter.int64: ${v} is not a safe integer`);
    const hi = Math.floor(v / TWO_32);
    return this.#varint64(v - hi * TWO_32, hi >>> 0);
  }

  /** A non-negative safe integer as a varint (protobuf `uint64`). */
  uint64(v: number): this {
    if (v >>> 0 === v) return this.uint32(v);
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`ProtobufWriter.uint64: ${v} is not a non-negative safe integer`);
    }
    const hi = Math.floor(v / TWO_32);
    return this.#varint64(v - hi * TWO_32, hi);
  }

  /** A zigzag varint of a 32-bit signed integer (protobuf `sint32`). */
  sint32(v: number): this {
    return this.uint32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** A zigzag varint of a safe integer (protobuf `sint64`). */
  sint64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`ProtobufWriter.sint64: ${v} is not a safe integer`);
    // zigzag(v) = 2v for v >= 0 and -2v - 1 for v < 0, i.e. (m << 1) | sign with m = v or -v - 1.
    // That takes 54 bits, past a double's mantissa, so the shift is done on the 32-bit halves of m.
    const sign = v < 0 ? 1 : 0;
    const m = sign === 1 ? -v - 1 : v;
    const hi = Math.floor(m / TWO_32);
    const lo = m - hi * TWO_32;
    return this.#varint64(((lo << 1) | sign) >>> 0, ((hi << 1) | (lo >>> 31)) >>> 0);
  }

  /** A boolean as a one-byte varint. */
  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  /** A double as eight little-endian bytes; NaN payloads (such as the stale marker) are kept bit for bit. */
  double(v: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
    return this;
  }

  /** An unsigned 32-bit integer as four little-endian bytes (protobuf `fixed32`). */
  fixed32(v: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#pos, v >>> 0, true);
    this.#pos += 4;
    return this;
  }

  /** A length-prefixed UTF-8 string. Lone surrogates are written as U+FFFD, as TextEncoder does. */
  string(s: string): this {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    const max = s.length * 3;
    this.#reserve(max + 5);
    const start = this.#pos;
    const written = utf8.encodeInto(s, this.#buf.subarray(start + 1, start + 1 + max)).written;
    this.#pos = start + 1 + written;
    this.#fillLength(start, written);
    return this;
  }

  /** Length-prefixed bytes, copied. */
  bytes(b: Uint8Array): this {
    this.uint32(b.length);
    this.#reserve(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
    return this;
  }

  /**
   * Starts a length-delimited value (usually a nested message) written by the calls that follow.
   * Returns a mark to pass to {@link ProtobufWriter.join}; forks nest like parentheses.
   */
  fork(): number {
    this.#reserve(1);
    return this.#pos++;
  }

  /** Ends the length-delimited value started by the {@link ProtobufWriter.fork} that returned `mark`. */
  join(mark: number): this {
    const len = this.#pos - mark - 1;
    if (len < 0) throw new RangeError(`ProtobufWriter.join: mark ${mark} is past the end`);
    this.#fillLength(mark, len);
    return this;
  }

  /**
   * The bytes written so far. The caller owns them; the writer drops its buffer and starts again
   * empty, so finishing twice gives two independent results.
   */
  finish(): Uint8Array {
    const out = this.#buf.subarray(0, this.#pos);
    this.#buf = new Uint8Array(16);
    this.#view = new DataView(this.#buf.buffer);
    this.#pos = 0;
    return out;
  }

  /** Writes `len` into the one byte reserved at `at`, shifting the `len` bytes after it when it needs more. */
  #fillLength(at: number, len: number): void {
    if (len < 0x80) {
      this.#buf[at] = len;
      return;
    }
    const size = varintSize(len);
    this.#reserve(size - 1);
    const buf = this.#buf;
    buf.copyWithin(at + size, at + 1, at + 1 + len);
    let n = len;
    let pos = at;
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos] = n;
    this.#pos += size - 1;
  }

  /** Writes the 64-bit value `hi * 2^32 + lo` (both unsigned 32-bit) as a varint. */
  #varint64(lo: number, hi: number): this {
    this.#reserve(10);
    const buf = this.#buf;
    let pos = this.#pos;
    let l = lo >>> 0;
    let h = hi >>> 0;
    while (h !== 0 || l >= 0x80) {
      buf[pos++] = (l & 0x7f) | 0x80;
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>>= 7;
    }
    buf[pos++] = l;
    this.#pos = pos;
    return this;
  }

  /** Makes room for `n` more bytes. */
  #reserve(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
}

/** How many bytes the varint of the unsigned 32-bit integer `n` takes. */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}
