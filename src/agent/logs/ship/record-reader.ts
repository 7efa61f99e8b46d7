/**
 * The bounds-checked cursor both log record versions are read with (record-codec.ts, record-v1.ts).
 * Every read checks the bytes left and throws {@link LogRecordError} `malformed`, naming the offset.
 */
import { LogRecordError } from "./record-error.js";

/** The big-endian u32 at `at` (the caller checked the bounds). */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** A cursor over one record. */
export class RecordReader {
  pos = 0;
  /** UTF-8 bytes of the last string read. */
  lastStrBytes = 0;
  protected readonly b: Uint8Array;
  readonly #buf: Buffer;

  constructor(b: Uint8Array) {
    this.b = b;
    this.#buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  get left(): number {
    return this.b.length - this.pos;
  }

  fail(what: string): LogRecordError {
    return new LogRecordError("malformed", `log record is malformed at byte ${this.pos}: ${what}`);
  }

  u32(): number {
    if (this.left < 4) throw this.fail("a 4-byte count runs past the end");
    const v = readU32(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  /** A uvarint that must fit a JavaScript number (below 2^49). */
  uvarint(): number {
    const b = this.b;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const x = b[this.pos];
      if (x === undefined) throw this.fail("a varint runs past the end");
      this.pos++;
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v;
      mul *= 0x80;
    }
    throw this.fail("a length or count varint is too long");
  }

  /** A count of items of at least `minBytes` each: checked against the bytes left. */
  count(minBytes: number, what: string): number {
    const n = this.uvarint();
    if (n * minBytes > this.left) throw this.fail(`${n} ${what} cannot fit in ${this.left} bytes`);
    return n;
  }

  /** A length prefix whose bytes must end at or before `end` (default: the record's end). */
  len(end = this.b.length): number {
    const n = this.uvarint();
    if (n > end - this.pos)
      throw this.fail(`a field of ${n} bytes runs past its end (${end - this.pos} left)`);
    return n;
  }

  /** A length-prefixed UTF-8 string. */
  str(): string {
    const n = this.len();
    const s = this.#buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    this.lastStrBytes = n;
    return s;
  }
}
