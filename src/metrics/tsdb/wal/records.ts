import { finishHash, hashBytes, pairLane1, pairLane2 } from "../../../model/label-hash.js";
import { Labels } from "../../../model/labels.js";
import { RecordDecodeError } from "./errors.js";

/**
 * Encoders and decoders of the WAL's record bodies (docs/format/wal.md, "Records"). A record starts
 * with its type byte. Integers are (zigzag) LEB128 varints held in `number`s, so every value must be
 * a safe integer; sample values move as raw little-endian float64 bytes between `Float64Array`s and
 * the record, so NaN payloads such as the stale marker survive bit for bit.
 */

/** The record types; byte 0 of every record. 0 and 5–255 are never valid. */
export const RecordType = {
  /** New series: ref and labels. */
  Series: 1,
  /** A batch of float samples. */
  Samples: 2,
  /** Reserved for deletions; nothing writes or decodes it yet. */
  Tombstones: 3,
  /** The head's truncation bound and ref counter: the first record of a head checkpoint. */
  Truncation: 4,
} as const;

/** One of {@link RecordType}'s values. */
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

/** The type byte of `record` (0 for an empty one, which is never valid). */
export function recordType(record: Uint8Array): number {
  return record[0] ?? 0;
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Values are copied as the bytes of a Float64Array, which are little-endian only on such CPUs.
  throw new Error("the WAL record format needs a little-endian CPU; this one is big-endian");
}

/**
 * A growable byte buffer that encoders write one record into. Reuse one per writer: each encode
 * starts from empty, and the returned view is valid until the next encode into the same buffer.
 */
export class RecordBuffer {
  #buf: Buffer;
  #len = 0;

  /** `capacity` is the initial size in bytes; the buffer doubles as needed. */
  constructor(capacity = 4096) {
    this.#buf = Buffer.alloc(Math.max(16, capacity));
  }

  /** Bytes written since the last {@link reset}. */
  get length(): number {
    return this.#len;
  }

  /** Empties the buffer, keeping its memory. */
  reset(): void {
    this.#len = 0;
  }

  /** A view of the bytes written; valid until the buffer is written again. */
  bytes(): Uint8Array {
    // A plain Uint8Array, not a Buffer, whose `slice` would not copy.
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#len);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.alloc(cap);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** Appends one byte (0–255). */
  u8(b: number): void {
    this.reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** Appends a non-negative safe integer as an unsigned LEB128 varint. */
  uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`uvarint: ${n} is not a non-negative safe integer`);
    }
    this.reserve(8);
    const b = this.#buf;
    let p = this.#len;
    let x = n;
    while (x > 0x7fffffff) {
      b[p++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    b[p++] = x;
    this.#len = p;
  }

  /**
   * Appends a safe integer as a zigzag varint, bit-identical to Go's `binary.PutVarint`. The zigzag
   * value of a large negative number is not a safe integer, so it is built from sign and magnitude.
   */
  varint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`varint: ${n} is not a safe integer`);
    const neg = n < 0;
    let m = neg ? -n - 1 : n;
    const first = (m % 64) * 2 + (neg ? 1 : 0);
    m = Math.floor(m / 64);
    if (m === 0) {
      this.u8(first);
    } else {
      this.u8(first | 0x80);
      this.uvarint(m);
    }
  }

  /** Appends a string as `len <uvarint> | UTF-8 bytes`. */
  string(s: string): void {
    if (s.length < 128 && isAscii(s)) {
      this.reserve(1 + s.length);
      const b = this.#buf;
      let p = this.#len;
      b[p++] = s.length;
      for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
      this.#len = p;
      return;
    }
    // One pass: encode after room for the length prefix of the longest UTF-8 the string could take
    // (3 bytes a UTF-16 unit), then move the bytes back if the real length needs a shorter prefix.
    const max = s.length * 3;
    const room = uvarintBytes(max);
    this.reserve(room + max + 8);
    const at = this.#len + room;
    const n = this.#buf.write(s, at, max, "utf8");
    const prefix = uvarintBytes(n);
    if (prefix < room) this.#buf.copyWithin(this.#len + prefix, at, at + n);
    this.uvarint(n);
    this.#len += n;
  }

  /** Appends an int64 as 8 bytes, big-endian two's complement; throws a RangeError outside int64. */
  int64BE(v: bigint): void {
    this.reserve(8);
    this.#buf.writeBigInt64BE(v, this.#len);
    this.#len += 8;
  }

  /** Appends 8 bytes from `src` starting at byte `at` (a float64's raw bits). */
  raw8(src: Uint8Array, at: number): void {
    this.reserve(8);
    const b = this.#buf;
    const p = this.#len;
    for (let k = 0; k < 8; k++) b[p + k] = src[at + k]!;
    this.#len = p + 8;
  }
}

/** Bytes of `n` as an unsigned LEB128 varint. */
function uvarintBytes(n: number): number {
  let k = 1;
  for (let x = n; x >= 0x80; x = Math.floor(x / 0x80)) k++;
  return k;
}

// ignoreBOM: a label value may start with U+FEFF, which must come back as it was written.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A position in a record being decoded; every read checks bounds and throws {@link RecordDecodeError}. */
export class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  u8(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw new RecordDecodeError(this.pos, "record ends inside a value");
    this.pos++;
    return b;
  }

  uvarint(): number {
    const start = this.pos;
    let x = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      const b = this.u8();
      x += (b & 0x7f) * mul;
      if (b < 0x80) break;
      if (i === 7) throw new RecordDecodeError(start, "varint longer than 8 bytes (above 2^53)");
      mul *= 128;
    }
    if (x > Number.MAX_SAFE_INTEGER) throw new RecordDecodeError(start, "varint above 2^53 − 1");
    return x;
  }

  varint(): number {
    const start = this.pos;
    const first = this.u8();
    let m = (first >> 1) & 0x3f;
    if (first & 0x80) m += this.uvarint() * 64;
    if (m > Number.MAX_SAFE_INTEGER - 1) throw new RecordDecodeError(start, "varint above 2^53 − 1");
    return first & 1 ? -m - 1 : m;
  }

  /** A big-endian two's-complement int64 (the log WAL's nanosecond timestamps). */
  int64(): bigint {
    if (this.pos + 8 > this.buf.length) throw new RecordDecodeError(this.pos, "record ends inside an int64");
    let u = 0n;
    for (let i = 0; i < 8; i++) u = (u << 8n) | BigInt(this.buf[this.pos + i]!);
    this.pos += 8;
    return BigInt.asIntN(64, u);
  }

  string(): string {
    const n = this.uvarint();
    const start = this.pos;
    const end = start + n;
    if (end > this.buf.length)
      throw new RecordDecodeError(start, `string of ${n} bytes runs past the record`);
    this.pos = end;
    const b = this.buf;
    if (n < 64) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if (b[i]! > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) return asciiString(b, start, end);
    }
    return utf8String(b, start, end);
  }
}

/** The ASCII bytes `b[start, end)` as a string. */
function asciiString(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** The UTF-8 bytes `b[start, end)` as a string; throws {@link RecordDecodeError} if they are not UTF-8. */
function utf8String(b: Uint8Array, start: number, end: number): string {
  try {
    return decoder.decode(b.subarray(start, end));
  } catch {
    throw new RecordDecodeError(start, "string is not valid UTF-8");
  }
}

function expectType(c: Cursor, want: RecordTypeValue, name: string): void {
  const t = c.u8();
  if (t !== want) throw new RecordDecodeError(0, `record type ${t} is not ${name} (${want})`);
}

/** A series as logged in a SERIES record. */
export interface SeriesEntry {
  /** The head's series reference: a non-negative safe integer, unique per series. */
  readonly ref: number;
  /** The series' labels, kept in {@link Labels} order. */
  readonly labels: Labels;
}

/**
 * Encodes a SERIES record of `series` into `out` (emptied first) and returns the record, a view of
 * `out` valid until `out` is written again.
 */
export function encodeSeries(series: readonly SeriesEntry[], out: RecordBuffer): Uint8Array {
  out.reset();
  out.u8(RecordType.Series);
  for (const s of series) {
    out.uvarint(s.ref);
    const p = s.labels.pairs;
    out.uvarint(p.length >> 1);
    for (let i = 0; i < p.length; i++) out.string(p[i]!);
  }
  return out.bytes();
}

/** A series decoded from a SERIES record, with the hash of its labels. */
export interface DecodedSeries extends SeriesEntry {
  /**
   * `hashLabels(labels)` (`model/label-hash.ts`), computed from the record's UTF-8 bytes as a
   * remote-write decoder computes it from a request's, without encoding the strings again.
   */
  readonly hash: number;
}

/**
 * Decodes a SERIES record, appending to `into` (returned). Throws {@link RecordDecodeError} on a
 * truncated record, bad UTF-8, or labels that are not sorted by unique name with non-empty values.
 */
export function decodeSeries(record: Uint8Array, into: DecodedSeries[] = []): DecodedSeries[] {
  const c = new Cursor(record);
  expectType(c, RecordType.Series, "SERIES");
  const lanes = hashLanes;
  while (!c.done) {
    const at = c.pos;
    const ref = c.uvarint();
    const n = c.uvarint();
    if (n * 2 > record.length - c.pos) {
      throw new RecordDecodeError(at, `series ${ref} claims ${n} labels, more than the record can hold`);
    }
    const pairs: string[] = new Array<string>(n * 2);
    let sum1 = 0;
    let sum2 = 0;
    for (let i = 0; i < n; i++) {
      const nameAt = c.pos;
      const name = hashedString(c, lanes, 0);
      const value = hashedString(c, lanes, 2);
      if (value === "")
        throw new RecordDecodeError(nameAt, `series ${ref}: label ${name} has an empty value`);
      if (i > 0 && !(pairs[2 * i - 2]! < name)) {
        throw new RecordDecodeError(nameAt, `series ${ref}: labels not sorted by unique name at ${name}`);
      }
      pairs[2 * i] = name;
      pairs[2 * i + 1] = value;
      sum1 = (sum1 + pairLane1(lanes[0]!, lanes[1]!, lanes[2]!, lanes[3]!)) | 0;
      sum2 = (sum2 + pairLane2(lanes[0]!, lanes[1]!, lanes[2]!, lanes[3]!)) | 0;
    }
    into.push({ ref, labels: Labels.fromSortedPairsUnsafe(pairs), hash: finishHash(sum1, sum2, n) });
  }
  return into;
}

const hashLanes = new Int32Array(4);

/**
 * Reads a string at the cursor and hashes its bytes into `lanes[at]`, `lanes[at + 1]` (as
 * `hashBytes`, which also tells whether they are ASCII).
 */
function hashedString(c: Cursor, lanes: Int32Array, at: number): string {
  const n = c.uvarint();
  const start = c.pos;
  const end = start + n;
  const b = c.buf;
  if (end > b.length) throw new RecordDecodeError(start, `string of ${n} bytes runs past the record`);
  c.pos = end;
  const bits = hashBytes(b, start, end, lanes, at);
  return bits < 0x80 && n < 64 ? asciiString(b, start, end) : utf8String(b, start, end);
}

/** Samples in columns: sample `i` is `(refs[i], ts[i], values[i])` for `i < length`. */
export interface SampleColumns {
  /** Number of samples. */
  readonly length: number;
  /** Series refs (safe integers). */
  readonly refs: Float64Array;
  /** Timestamps, Unix ms (safe integers, possibly negative). */
  readonly ts: Float64Array;
  /** Values; NaN payloads are kept. */
  readonly values: Float64Array;
}

/**
 * A growable batch of samples in typed arrays, the unit of a SAMPLES record. Reuse one: `clear()`
 * keeps the memory. Values are stored in a `Float64Array`, never a plain array, so NaN payloads survive.
 */
export class SampleBatch implements SampleColumns {
  /** Number of samples held. */
  length = 0;
  /** Series refs; replaced (not resized) when the batch grows. */
  refs: Float64Array;
  /** Timestamps, Unix ms; replaced when the batch grows. */
  ts: Float64Array;
  /** Values; replaced when the batch grows. */
  values: Float64Array;
  #valueBytes: Uint8Array;

  /** `capacity` is the initial number of samples; the batch doubles as needed. */
  constructor(capacity = 256) {
    const n = Math.max(1, capacity);
    this.refs = new Float64Array(n);
    this.ts = new Float64Array(n);
    this.values = new Float64Array(n);
    this.#valueBytes = new Uint8Array(this.values.buffer);
  }

  /** The raw bytes of {@link values} (little-endian float64s). */
  get valueBytes(): Uint8Array {
    return this.#valueBytes;
  }

  /** Appends one sample. */
  push(ref: number, t: number, v: number): void {
    if (this.length === this.refs.length) this.reserve(this.length + 1);
    const i = this.length++;
    this.refs[i] = ref;
    this.ts[i] = t;
    this.values[i] = v;
  }

  /** Empties the batch, keeping its memory. */
  clear(): void {
    this.length = 0;
  }

  /** Makes room for `n` samples in total, keeping the first {@link length}. */
  reserve(n: number): void {
    if (n <= this.refs.length) return;
    let cap = this.refs.length * 2;
    while (cap < n) cap *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.refs = grow(this.refs);
    this.ts = grow(this.ts);
    // Float64Array.set copies element-wise within typed arrays, which keeps NaN bits.
    this.values = grow(this.values);
    this.#valueBytes = new Uint8Array(this.values.buffer);
  }
}

/**
 * Encodes samples `[0, s.length)` of `s` as a SAMPLES record into `out` (emptied first) and returns
 * the record, a view of `out` valid until `out` is written again. Throws RangeError if a ref or
 * timestamp, or the difference to the previous one, is not a safe integer.
 */
export function encodeSamples(s: SampleColumns, out: RecordBuffer): Uint8Array {
  out.reset();
  out.u8(RecordType.Samples);
  const n = s.length;
  out.uvarint(n);
  out.reserve(n * 12);
  const vb = new Uint8Array(s.values.buffer, s.values.byteOffset, n * 8);
  let prevRef = 0;
  let prevT = 0;
  for (let i = 0; i < n; i++) {
    const ref = s.refs[i]!;
    const t = s.ts[i]!;
    if (i === 0) {
      out.uvarint(ref);
      out.varint(t);
    } else {
      if (!Number.isSafeInteger(ref)) throw new RangeError(`sample ${i}: ref ${ref} is not a safe integer`);
      if (!Number.isSafeInteger(t)) throw new RangeError(`sample ${i}: timestamp ${t} is not a safe integer`);
      out.varint(ref - prevRef);
      out.varint(t - prevT);
    }
    out.raw8(vb, i * 8);
    prevRef = ref;
    prevT = t;
  }
  return out.bytes();
}

/**
 * Decodes a SAMPLES record into `into`, replacing its contents, and returns it. Values are copied
 * as raw bytes. Throws {@link RecordDecodeError} on a truncated or overlong record or a ref that
 * decodes negative.
 */
export function decodeSamples(record: Uint8Array, into: SampleBatch): SampleBatch {
  const c = new Cursor(record);
  expectType(c, RecordType.Samples, "SAMPLES");
  const n = c.uvarint();
  const len = record.length;
  // The smallest sample is 10 bytes (1 + 1 + 8): refuse a count the record cannot hold before allocating.
  if (n * 10 > len - c.pos) {
    throw new RecordDecodeError(1, `record claims ${n} samples, more than its ${len} bytes can hold`);
  }
  into.clear();
  into.reserve(n);
  const refs = into.refs;
  const ts = into.ts;
  const vb = into.valueBytes;
  let ref = 0;
  let t = 0;
  let p = c.pos;
  for (let i = 0; i < n; i++) {
    const at = p;
    if (i === 0) {
      ref = c.uvarint();
      t = c.varint();
      p = c.pos;
    } else {
      // Deltas of one byte (the usual case: neighbouring refs, one timestamp per scrape) inline;
      // longer ones through the cursor. Zigzag: 0, -1, 1, -2, … ← 0, 1, 2, 3, …
      let b = p < len ? record[p]! : 0x80;
      if (b < 0x80) {
        ref += b & 1 ? -(b >> 1) - 1 : b >> 1;
        p++;
      } else {
        c.pos = p;
        ref += c.varint();
        p = c.pos;
      }
      b = p < len ? record[p]! : 0x80;
      if (b < 0x80) {
        t += b & 1 ? -(b >> 1) - 1 : b >> 1;
        p++;
      } else {
        c.pos = p;
        t += c.varint();
        p = c.pos;
      }
      if (ref < 0 || !Number.isSafeInteger(ref) || !Number.isSafeInteger(t)) {
        throw new RecordDecodeError(at, `sample ${i}: ref ${ref} or timestamp ${t} out of range`);
      }
    }
    refs[i] = ref;
    ts[i] = t;
    if (p + 8 > len) throw new RecordDecodeError(p, `sample ${i}: value runs past the record`);
    const q = i * 8;
    vb[q] = record[p]!;
    vb[q + 1] = record[p + 1]!;
    vb[q + 2] = record[p + 2]!;
    vb[q + 3] = record[p + 3]!;
    vb[q + 4] = record[p + 4]!;
    vb[q + 5] = record[p + 5]!;
    vb[q + 6] = record[p + 6]!;
    vb[q + 7] = record[p + 7]!;
    p += 8;
  }
  if (p < len) throw new RecordDecodeError(p, `${len - p} bytes after the last sample`);
  into.length = n;
  return into;
}

/** The body of a TRUNCATION record (docs/format/wal.md, "TRUNCATION"). */
export interface TruncationEntry {
  /**
   * The head's truncation bound, Unix ms (a safe integer): samples older than it are in blocks, the
   * head holds and accepts none, and a replay drops those it meets after this record.
   */
  readonly mint: number;
  /** One past the highest series ref handed out so far: refs below it are never given to a new series. */
  readonly refLimit: number;
}

/**
 * Encodes a TRUNCATION record into `out` (emptied first) and returns it, a view of `out` valid until
 * `out` is written again. Throws RangeError if `mint` is not a safe integer or `refLimit` not a
 * non-negative one.
 */
export function encodeTruncation(e: TruncationEntry, out: RecordBuffer): Uint8Array {
  out.reset();
  out.u8(RecordType.Truncation);
  out.varint(e.mint);
  out.uvarint(e.refLimit);
  return out.bytes();
}

/** Decodes a TRUNCATION record. Throws {@link RecordDecodeError} on a truncated or overlong record. */
export function decodeTruncation(record: Uint8Array): TruncationEntry {
  const c = new Cursor(record);
  expectType(c, RecordType.Truncation, "TRUNCATION");
  const mint = c.varint();
  const refLimit = c.uvarint();
  if (!c.done) throw new RecordDecodeError(c.pos, `${record.length - c.pos} bytes after the TRUNCATION body`);
  return { mint, refLimit };
}
