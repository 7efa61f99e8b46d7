/**
 * A growable byte buffer for the queue's encoders (record codec, remote-write requests). It is kept
 * and reused between encodes, so a warm encoder allocates nothing but its output. Integers are
 * written as protobuf varints; `uvarint` takes non-negative safe integers (up to 2^53), `int64`
 * any safe integer (negative ones as 10-byte two's complement, as protobuf's `int64` does).
 */
export class ByteBuffer {
  /** The bytes; only `[0, length)` is meaningful. Replaced when it grows: do not keep a reference. */
  buf: Uint8Array;
  /** Bytes written. */
  length = 0;

  constructor(initial = 64 * 1024) {
    this.buf = new Uint8Array(initial);
  }

  /** Forgets what was written (keeps the memory). */
  reset(): void {
    this.length = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** A non-negative safe integer as an unsigned varint. */
  uvarint(v: number): void {
    this.ensure(10);
    const buf = this.buf;
    let p = this.length;
    while (v >= 0x80) {
      buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[p++] = v;
    this.length = p;
  }

  /** A safe integer, zigzag-encoded (small magnitudes, either sign, take few bytes). */
  zigzag(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** A safe integer as protobuf `int64`: negative numbers take 10 bytes. */
  int64(v: number): void {
    if (v >= 0) {
      this.uvarint(v);
      return;
    }
    this.ensure(10);
    let x = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 9; i++) {
      this.buf[this.length++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.length++] = Number(x);
  }

  /** Copies `src[start, end)`. */
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n < 32) {
      const buf = this.buf;
      let p = this.length;
      for (let i = start; i < end; i++) buf[p++] = src[i]!;
    } else {
      this.buf.set(src.subarray(start, end), this.length);
    }
    this.length += n;
  }
}

/** Bytes of `v` (a non-negative safe integer) as an unsigned varint. */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Bytes of `v` (a safe integer) as protobuf `int64`. */
export function int64Size(v: number): number {
  return v < 0 ? 10 : uvarintSize(v);
}

/** Reads varints from `buf` from `pos` on; throws RangeError past `end` or on an overlong varint. */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  /** An unsigned varint up to 2^53. */
  uvarint(): number {
    const buf = this.buf;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new RangeError("record: varint runs past the end");
      const b = buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new RangeError("record: varint longer than 8 bytes");
  }

  /** A zigzag-encoded safe integer. */
  zigzag(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
}

/** Float64Array views share the platform's byte order; the codecs copy value bytes as little-endian. */
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) {
  throw new Error("mirador's agent queue needs a little-endian platform");
}
