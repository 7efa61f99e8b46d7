/**
 * A minimal reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/).
 *
 * It decodes one value per call and knows nothing of schemas: message codecs drive it field by field.
 * Every read is bounded by `end`; a read that would cross it throws {@link ProtobufError}.
 */

/** Wire type 0: varint (int32, int64, uint32, uint64, sint32, sint64, bool, enum). */
export const WIRE_VARINT = 0;
/** Wire type 1: 8 little-endian bytes (fixed64, sfixed64, double). */
export const WIRE_FIXED64 = 1;
/** Wire type 2: a varint length, then that many bytes (string, bytes, messages, packed repeated). */
export const WIRE_LEN = 2;
/** Wire type 5: 4 little-endian bytes (fixed32, sfixed32, float). */
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;

/** Thrown when bytes are not valid protobuf wire format: truncated, overlong, or of an unknown wire type. */
export class ProtobufError extends Error {
  override readonly name = "ProtobufError";

  /** `offset` is the byte position, within the buffer being read, where the problem was found. */
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads protobuf values from a byte array, advancing `pos`.
 *
 * The reader borrows `buf`: byte and sub-message views it returns share the caller's memory, so the
 * caller must not change `buf` while those views are in use. Nested messages are read in place with
 * {@link ProtobufReader.pushLimit} / {@link ProtobufReader.popLimit}, which narrow `end` to the
 * message's bytes.
 */
export class ProtobufReader {
  /** Position of the next byte to read. */
  pos: number;
  /** Position one past the last readable byte: the buffer's end, or the end of the current sub-message. */
  end: number;
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  // The two 32-bit halves of the last varint, unsigned; kept here so a 64-bit read allocates nothing.
  #lo = 0;
  #hi = 0;

  /** A reader over `buf[start, end)`; both default to the whole array. */
  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) {
      throw new RangeError(
        `ProtobufReader: range [${start}, ${end}) is outside a buffer of ${buf.length} bytes`,
      );
    }
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Whether every byte up to `end` has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A field's tag: `fieldNumber << 3 | wireType`. Field number 0 and tags past 32 bits are errors.
   * Use `tag >>> 3` for the field number and `tag & 7` for the wire type.
   */
  tag(): number {
    const at = this.pos;
    this.#varint();
    if (this.#hi !== 0) throw new ProtobufError("field tag is wider than 32 bits", at);
    const tag = this.#lo;
    if (tag >>> 3 === 0) throw new ProtobufError("field number 0 is invalid", at);
    return tag;
  }

  /** An unsigned varint as a number; values above 2^53 - 1 are rounded to the nearest double. */
  uint64(): number {
    const b = this.#buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.#varint();
    return this.#hi * TWO_32 + this.#lo;
  }

  /** A varint truncated to its low 32 bits, unsigned (protobuf `uint32`). */
  uint32(): number {
    const b = this.#buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.#varint();
    return this.#lo;
  }

  /** A varint truncated to its low 32 bits, signed (protobuf `int32` and `enum`). */
  int32(): number {
    return this.uint32() | 0;
  }

  /**
   * A two's-complement varint as a signed number (protobuf `int64`); a negative value takes ten bytes.
   * Exact within ±(2^53 - 1); beyond that, rounded to the nearest double.
   */
  int64(): number {
    const b = this.#buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.#varint();
    const hi = this.#hi;
    if (hi < 0x80000000) return hi * TWO_32 + this.#lo;
    // Negative: the value is -(~bits + 1).
    return -((~hi >>> 0) * TWO_32 + (~this.#lo >>> 0) + 1);
  }

  /** A zigzag-encoded varint (protobuf `sint32`). */
  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** A zigzag-encoded 64-bit varint (protobuf `sint64`); exact within ±(2^53 - 1). */
  sint64(): number {
    this.#varint();
    const lo = this.#lo;
    const hi = this.#hi;
    // Undo zigzag on the 64-bit pair: shift right by one, then flip every bit if the low bit was set.
    const sign = -(lo & 1);
    const mlo = (((lo >>> 1) | (hi << 31)) ^ sign) >>> 0;
    const mhi = ((hi >>> 1) ^ sign) >>> 0;
    if (mhi < 0x80000000) return mhi * TWO_32 + mlo;
    return -((~mhi >>> 0) * TWO_32 + (~mlo >>> 0) + 1);
  }

  /** A varint read as a boolean: any non-zero value is true. */
  bool(): boolean {
    this.#varint();
    return this.#lo !== 0 || this.#hi !== 0;
  }

  /** Eight little-endian bytes as a double; NaN payloads (such as the stale marker) are kept bit for bit. */
  double(): number {
    const at = this.#need(8);
    return this.#view.getFloat64(at, true);
  }

  /** Four little-endian bytes as a float, widened to a double. */
  float(): number {
    const at = this.#need(4);
    return this.#view.getFloat32(at, true);
  }

  /** Four little-endian bytes as an unsigned integer (protobuf `fixed32`). */
  fixed32(): number {
    const at = this.#need(4);
    return this.#view.getUint32(at, true);
  }

  /** A length-delimited field's bytes: a view into the reader's buffer, not a copy. */
  bytes(): Uint8Array {
    const len = this.#length();
    const at = this.pos;
    this.pos += len;
    return this.#buf.subarray(at, at + len);
  }

  /** A length-delimited field decoded as UTF-8; invalid UTF-8 throws {@link ProtobufError}. */
  string(): string {
    const len = this.#length();
    const at = this.pos;
    this.pos += len;
    if (len === 0) return "";
    try {
      return utf8.decode(this.#buf.subarray(at, at + len));
    } catch {
      throw new ProtobufError(`string field of ${len} bytes is not valid UTF-8`, at);
    }
  }

  /**
   * Enters a length-delimited sub-message: reads its length and narrows `end` to it. Returns the
   * previous `end`, to be handed to {@link ProtobufReader.popLimit} once the sub-message is read.
   */
  pushLimit(): number {
    const len = this.#length();
    const outer = this.end;
    this.end = this.pos + len;
    return outer;
  }

  /** Leaves a sub-message entered with {@link ProtobufReader.pushLimit}, which must have been read to its end. */
  popLimit(outerEnd: number): void {
    if (this.pos !== this.end) {
      throw new ProtobufError(`sub-message not fully read (${this.end - this.pos} bytes left)`, this.pos);
    }
    this.end = outerEnd;
  }

  /** Skips the value of a field with wire type `wireType` (0, 1, 2 or 5); groups (3, 4) are rejected. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.#varint();
        return;
      case WIRE_FIXED64:
        this.#need(8);
        return;
      case WIRE_LEN: {
        const len = this.#length(); // read before `this.pos`, which it advances
        this.pos += len;
        return;
      }
      case WIRE_FIXED32:
        this.#need(4);
        return;
      case 3:
      case 4:
        throw new ProtobufError("groups (wire types 3 and 4) are not supported", this.pos);
      default:
        throw new ProtobufError(`invalid wire type ${wireType}`, this.pos);
    }
  }

  /** Checks that `n` bytes remain, advances past them, and returns where they start. */
  #need(n: number): number {
    const at = this.pos;
    if (this.end - at < n) {
      throw new ProtobufError(`truncated: need ${n} bytes, ${this.end - at} left`, at);
    }
    this.pos = at + n;
    return at;
  }

  /** Reads a length prefix and checks that many bytes remain. */
  #length(): number {
    const at = this.pos;
    this.#varint();
    const left = this.end - this.pos;
    if (this.#hi !== 0 || this.#lo > left) {
      const len = this.#hi * TWO_32 + this.#lo;
      throw new ProtobufError(`truncated: length prefix says ${len} bytes, ${left} left`, at);
    }
    return this.#lo;
  }

  /** Reads a varint of up to ten bytes into `#lo`/`#hi` (both unsigned 32-bit). */
  #varint(): void {
    const buf = this.#buf;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    let b = 0;
    // Bytes 0-3 carry bits 0-27.
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw truncatedVarint(start, end);
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.#lo = lo >>> 0;
        this.#hi = 0;
        return;
      }
    }
    // Byte 4 carries bits 28-34: four go to the low half, three to the high half.
    if (pos >= end) throw truncatedVarint(start, end);
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x70) >>> 4;
    if (b < 0x80) {
      this.pos = pos;
      this.#lo = lo >>> 0;
      this.#hi = hi;
      return;
    }
    // Bytes 5-8 carry bits 35-62, i.e. bits 3-30 of the high half.
    for (let shift = 3; shift < 31; shift += 7) {
      if (pos >= end) throw truncatedVarint(start, end);
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.#lo = lo >>> 0;
        this.#hi = hi >>> 0;
        return;
      }
    }
    // Byte 9 carries bit 63 and nothing else.
    if (pos >= end) throw truncatedVarint(start, end);
    b = buf[pos++]!;
    if (b > 1) throw new ProtobufError("varint is longer than 64 bits", start);
    this.pos = pos;
    this.#lo = lo >>> 0;
    this.#hi = (hi | (b << 31)) >>> 0;
  }
}

function truncatedVarint(start: number, end: number): ProtobufError {
  return new ProtobufError(`truncated varint (${end - start} bytes left)`, start);
}
