/**
 * The log record, version 2: a batch of log entries grouped by stream, as one payload of the agent's
 * disk queue (docs/format/agent-log-records.md). Each entry is stored as the bytes it has in a Loki
 * push request (a `StreamAdapter.entries` field), so that building a request copies byte ranges and
 * a line never becomes a JavaScript string on the way from the file to the seed.
 *
 * {@link LogRecordEncoder} writes records cut to a size, from line bytes or strings;
 * {@link indexLogRecord} checks a record read back from disk and finds its streams and their entry
 * ranges. Records of version 1 (an older agent's queue) are converted on reading.
 */

import { varintSize } from "../../../lib/protobuf/writer.js";
import { formatStreamLabels } from "../../../wire/loki/index.js";
import { LogRecordError } from "./record-error.js";
import { RecordReader, readU32 } from "./record-reader.js";
import { decodeLogRecordV1 } from "./record-v1.js";

export { LogRecordError, type LogRecordErrorCode } from "./record-error.js";

/** The version byte this code writes. */
export const LOG_RECORD_VERSION = 2;
/** version u8 + entries u32 + streams u32. */
const HEADER_BYTES = 9;
/** After a stream's labels: entries u32 + bytes u32. */
const STREAM_COUNTS_BYTES = 8;

// Protobuf tags (field << 3 | wire type) of Loki's push messages that records hold.
/** `StreamAdapter.entries` (2, LEN): every entry of a record starts with it. */
const TAG_ENTRY = 0x12;
/** `EntryAdapter.timestamp` (1, LEN), `.line` (2, LEN), `.structuredMetadata` (3, LEN). */
const TAG_TS = 0x0a;
const TAG_LINE = 0x12;
const TAG_METADATA = 0x1a;
/** `Timestamp.seconds` (1, VARINT), `.nanos` (2, VARINT). */
const TAG_SECONDS = 0x08;
const TAG_NANOS = 0x10;
/** `LabelPairAdapter.name` (1, LEN), `.value` (2, LEN). */
const TAG_NAME = 0x0a;
const TAG_VALUE = 0x12;

/** `google.protobuf.Timestamp`'s range, which the seed enforces: 0001-01-01 to 9999-12-31. */
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;
const TWO_32 = 4294967296;

/** Sorted, checked label pairs of a stream (see `normalizeLabels`). */
export type StreamLabels = readonly (readonly [string, string])[];

/** Structured metadata pairs of an entry. */
export type Metadata = readonly (readonly [name: string, value: string])[];

/**
 * Where an encoded record goes, with its entry count. The bytes are borrowed: they are overwritten
 * by the encoder's next record, so copy them (the disk queue's `append` does).
 */
export type RecordSink = (payload: Uint8Array, entries: number) => void;

/** Why the encoder left an entry out: larger than a record may be, or a time Loki cannot hold. */
export type RefusedReason = "too_large" | "bad_timestamp";

/** Told of every entry left out, with its encoded size in bytes (0 for `bad_timestamp`). */
export type RefusedSink = (reason: RefusedReason, bytes: number) => void;

/**
 * Writes entries as records of at most `recordBytes` each (a record holding one entry may be larger,
 * up to `maxRecordBytes`). Entries are added one at a time to the stream last named by
 * {@link LogRecordEncoder.stream}; a record is handed to the sink when the next entry would not fit,
 * and by {@link LogRecordEncoder.finish}. One encoder is reused; its buffer grows to the largest
 * record. Not re-entrant.
 *
 * Timestamps come as Unix milliseconds plus the nanoseconds within that millisecond (0–999999), so
 * that no BigInt is made per line; times outside `google.protobuf.Timestamp`'s range are refused.
 */
export class LogRecordEncoder {
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  #pos = HEADER_BYTES;
  #entries = 0;
  #streams = 0;
  /** The stream entries go to, and its encoded label table. */
  #labels: StreamLabels | undefined;
  #header: Uint8Array = new Uint8Array(0);
  /** Offset of the open stream's counts in the record; -1 when the stream is not open in it. */
  #countsAt = -1;
  #streamEntries = 0;
  /** Encoded label tables by the label arrays callers pass again and again. */
  readonly #headers = new WeakMap<StreamLabels, Uint8Array>();

  constructor(
    /** Target record size, bytes. */
    readonly recordBytes: number,
    /** Hard limit (the queue's `maxPayloadBytes`): an entry that does not fit alone is refused. */
    readonly maxRecordBytes: number,
    readonly sink: RecordSink,
    readonly onRefused: RefusedSink,
  ) {}

  /** Entries in the record being written (not yet handed to the sink). */
  get pendingEntries(): number {
    return this.#entries;
  }

  /**
   * Names the stream of the entries that follow. `labels` must be sorted and checked
   * (`normalizeLabels`); passing the same array again is free.
   */
  stream(labels: StreamLabels): void {
    if (labels === this.#labels) return;
    this.#closeStream();
    this.#labels = labels;
    let header = this.#headers.get(labels);
    if (header === undefined) {
      header = encodeLabelTable(labels);
      this.#headers.set(labels, header);
    }
    this.#header = header;
  }

  /** Adds a line given as UTF-8 bytes `data[start, end)`. Whether it was taken (else refused, told). */
  bytes(ms: number, subMsNanos: number, data: Uint8Array, start: number, end: number): boolean {
    const lineLen = end - start;
    let p = this.#startEntry(ms, subMsNanos, fieldSize(lineLen));
    if (p < 0) return false;
    const b = this.#buf;
    b[p++] = TAG_LINE;
    p = putVarint(b, p, lineLen);
    // Buffer's copy takes a plain Uint8Array source too, without making a view of it.
    Buffer.prototype.copy.call(data, b, p, start, end);
    this.#entryDone(p + lineLen);
    return true;
  }

  /** Adds a line given as a string (lone surrogates become U+FFFD), with optional structured metadata. */
  text(ms: number, subMsNanos: number, line: string, metadata?: Metadata): boolean {
    const lineLen = Buffer.byteLength(line, "utf8");
    let mdLen = 0;
    if (metadata !== undefined) for (const [n, v] of metadata) mdLen += fieldSize(pairSize(n, v));
    let p = this.#startEntry(ms, subMsNanos, fieldSize(lineLen) + mdLen);
    if (p < 0) return false;
    const b = this.#buf;
    p = putString(b, p, TAG_LINE, line, lineLen);
    if (metadata !== undefined) {
      for (const [n, v] of metadata) {
        b[p++] = TAG_METADATA;
        p = putVarint(b, p, pairSize(n, v));
        p = putString(b, p, TAG_NAME, n, Buffer.byteLength(n, "utf8"));
        p = putString(b, p, TAG_VALUE, v, Buffer.byteLength(v, "utf8"));
      }
    }
    this.#entryDone(p);
    return true;
  }

  /**
   * Starts an entry whose fields after the timestamp take `rest` bytes: checks the time against
   * Loki's range, makes room, writes the entry's tag, length and timestamp. The offset to write the
   * rest at, or -1 when the entry is refused (told).
   */
  #startEntry(ms: number, subMsNanos: number, rest: number): number {
    const seconds = Math.floor(ms / 1000);
    if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS)) {
      this.#refuse("bad_timestamp", 0);
      return -1;
    }
    const nanos = (ms - seconds * 1000) * 1_000_000 + subMsNanos;
    const tsLen = timestampSize(seconds, nanos);
    const bodyLen = fieldSize(tsLen) + rest;
    if (!this.#makeRoom(fieldSize(bodyLen))) return -1;
    const b = this.#buf;
    let p = this.#pos;
    b[p++] = TAG_ENTRY;
    p = putVarint(b, p, bodyLen);
    return putTimestamp(b, p, tsLen, seconds, nanos);
  }

  /** The entry written up to `end` is complete. */
  #entryDone(end: number): void {
    this.#pos = end;
    this.#streamEntries++;
    this.#entries++;
  }

  /** {@link text} with the timestamp in nanoseconds since the epoch. */
  entry(tsNs: bigint, line: string, metadata?: Metadata): boolean {
    let ms = tsNs / 1_000_000n;
    let sub = tsNs - ms * 1_000_000n;
    if (sub < 0n) {
      ms -= 1n;
      sub += 1_000_000n;
    }
    return this.text(Number(ms), Number(sub), line, metadata);
  }

  /** Hands the record being written, if it has entries, to the sink. */
  finish(): void {
    if (this.#entries > 0) this.#flush();
  }

  #refuse(reason: RefusedReason, bytes: number): false {
    this.onRefused(reason, bytes);
    return false;
  }

  /**
   * Makes room for an entry of `size` bytes in the open stream: hands the record over first if the
   * entry would take it past `recordBytes`, opens the stream in the record if needed. False (the
   * entry refused, told) when it does not fit `maxRecordBytes` even alone.
   */
  #makeRoom(size: number): boolean {
    let streamBytes = this.#countsAt < 0 ? this.#header.length + STREAM_COUNTS_BYTES : 0;
    if (this.#entries > 0 && this.#pos + streamBytes + size > this.recordBytes) {
      this.#flush();
      streamBytes = this.#header.length + STREAM_COUNTS_BYTES;
    }
    if (this.#entries === 0 && this.#pos + streamBytes + size > this.maxRecordBytes) {
      return this.#refuse("too_large", size);
    }
    this.#ensure(streamBytes + size);
    if (this.#countsAt < 0) {
      if (this.#labels === undefined) throw new Error("LogRecordEncoder: an entry before any stream()");
      this.#buf.set(this.#header, this.#pos);
      this.#pos += this.#header.length;
      this.#countsAt = this.#pos;
      this.#pos += STREAM_COUNTS_BYTES;
      this.#streamEntries = 0;
    }
    return true;
  }

  /** Fills in the open stream's counts (it has at least one entry: it is opened for one). */
  #closeStream(): void {
    const at = this.#countsAt;
    if (at < 0) return;
    this.#countsAt = -1;
    this.#buf.writeUInt32BE(this.#streamEntries, at);
    this.#buf.writeUInt32BE(this.#pos - at - STREAM_COUNTS_BYTES, at + 4);
    this.#streams++;
  }

  #flush(): void {
    this.#closeStream();
    const b = this.#buf;
    b[0] = LOG_RECORD_VERSION;
    b.writeUInt32BE(this.#entries, 1);
    b.writeUInt32BE(this.#streams, 5);
    const entries = this.#entries;
    const end = this.#pos;
    this.#pos = HEADER_BYTES;
    this.#entries = 0;
    this.#streams = 0;
    // A plain Uint8Array view, so that `slice()` copies (a Buffer's `slice` would not).
    this.sink(new Uint8Array(b.buffer, b.byteOffset, end), entries);
  }

  #ensure(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
}

/** A stream's label table: the count and the pairs, as the record holds it before the stream's counts. */
function encodeLabelTable(labels: StreamLabels): Uint8Array {
  let size = varintSize(labels.length);
  for (const [n, v] of labels) {
    const nl = Buffer.byteLength(n, "utf8");
    const vl = Buffer.byteLength(v, "utf8");
    size += varintSize(nl) + nl + varintSize(vl) + vl;
  }
  const b = Buffer.allocUnsafe(size);
  let p = putVarint(b, 0, labels.length);
  for (const [n, v] of labels) {
    for (const s of [n, v]) {
      const len = Buffer.byteLength(s, "utf8");
      p = putVarint(b, p, len);
      p += b.write(s, p, len, "utf8");
    }
  }
  return b;
}

/** Bytes of a length-delimited field of `len` bytes: tag, length, body. */
function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

/** Bytes of a `LabelPairAdapter` body. */
function pairSize(name: string, value: string): number {
  return fieldSize(Buffer.byteLength(name, "utf8")) + fieldSize(Buffer.byteLength(value, "utf8"));
}

/** Bytes of a `Timestamp` body (proto3: zero fields left out). */
function timestampSize(seconds: number, nanos: number): number {
  return (seconds === 0 ? 0 : 1 + int64Size(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
}

/** Bytes of the two's-complement varint of a safe integer. */
function int64Size(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Writes a non-negative safe integer as a varint at `p`; the offset after it. */
function putVarint(b: Uint8Array, p: number, v: number): number {
  while (v > 0x7fffffff) {
    b[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}

/** Writes the `EntryAdapter.timestamp` field (a `Timestamp` of `tsLen` bytes) at `p`. */
function putTimestamp(b: Uint8Array, p: number, tsLen: number, seconds: number, nanos: number): number {
  b[p++] = TAG_TS;
  b[p++] = tsLen; // at most 1 + 10 + 1 + 5 bytes: one varint byte
  if (seconds !== 0) {
    b[p++] = TAG_SECONDS;
    if (seconds > 0) p = putVarint(b, p, seconds);
    else {
      // Two's complement in 64 bits: ten bytes.
      const hi = Math.floor(seconds / TWO_32);
      let lo = (seconds - hi * TWO_32) >>> 0;
      let h = hi >>> 0;
      for (let i = 0; i < 9; i++) {
        b[p++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (h << 25)) >>> 0;
        h >>>= 7;
      }
      b[p++] = lo;
    }
  }
  if (nanos !== 0) {
    b[p++] = TAG_NANOS;
    p = putVarint(b, p, nanos);
  }
  return p;
}

/** Writes a string field (`tag`, its `len` UTF-8 bytes) at `p`. */
function putString(b: Buffer, p: number, tag: number, s: string, len: number): number {
  b[p++] = tag;
  p = putVarint(b, p, len);
  return p + (len === 0 ? 0 : b.write(s, p, len, "utf8"));
}

/** The key of a stream's label set in requests and lanes. */
export interface StreamKey {
  /** Loki's selector text of the labels, as a push request carries it. */
  readonly text: string;
  /** {@link labelsHash} of the labels: the send lane. */
  readonly hash: number;
}

/** A stream of an indexed record: its entries are `payload[start, end)`, whole push entry fields. */
export interface IndexedStream {
  readonly key: StreamKey;
  readonly start: number;
  readonly end: number;
  readonly entries: number;
}

/** A record checked and indexed by {@link indexLogRecord}. */
export interface IndexedRecord {
  /** Version 2 bytes (a version 1 record comes back converted). */
  readonly payload: Uint8Array;
  readonly entries: number;
  readonly streams: IndexedStream[];
}

/**
 * Stream keys by the bytes of their label tables, so that the labels of a stream seen in record
 * after record are decoded once. Bounded: cleared when it reaches `max` entries.
 */
export class StreamKeyCache {
  readonly #keys = new Map<string, StreamKey>();

  constructor(readonly max = 10_000) {}

  get(table: string, labels: () => [string, string][]): StreamKey {
    let key = this.#keys.get(table);
    if (key === undefined) {
      if (this.#keys.size >= this.max) this.#keys.clear();
      const pairs = labels();
      key = { text: formatStreamLabels(pairs), hash: labelsHash(pairs) };
      this.#keys.set(table, key);
    }
    return key;
  }
}

/** The entry count in a record's header; throws {@link LogRecordError} if the header is unreadable. */
export function logRecordEntryCount(payload: Uint8Array): number {
  if (payload.length < HEADER_BYTES || (payload[0] !== 1 && payload[0] !== LOG_RECORD_VERSION)) {
    throw new LogRecordError("malformed", `log record of ${payload.length} bytes has no readable header`);
  }
  return readU32(payload, 1);
}

/**
 * Checks a record and finds its streams. Throws {@link LogRecordError} (and nothing else) for a
 * record that is not exactly a valid record of a known version: the message names the problem and
 * the offset. The entries' framing is checked down to every field's bounds; the bytes of lines are
 * not (the queue's CRC32C vouches for them, and the encoder wrote valid UTF-8).
 */
export function indexLogRecord(payload: Uint8Array, keys = new StreamKeyCache()): IndexedRecord {
  if (payload.length < 1) throw new LogRecordError("malformed", "log record is empty");
  if (payload[0] === 1) return convertV1(payload, keys);
  if (payload[0] !== LOG_RECORD_VERSION) {
    throw new LogRecordError(
      "unsupported_version",
      `log record version ${payload[0]} is not known to this agent (it reads versions 1 and ${LOG_RECORD_VERSION}); was the queue written by a newer agent?`,
    );
  }
  if (payload.length < HEADER_BYTES)
    throw new LogRecordError("malformed", `log record of ${payload.length} bytes is shorter than its header`);
  const r = new Reader(payload);
  r.pos = HEADER_BYTES;
  const total = readU32(payload, 1);
  const nStreams = readU32(payload, 5);
  // A stream takes at least 10 bytes (a label count, counts), an entry at least 2 (tag, length).
  if (nStreams * 10 > r.left) throw r.fail(`${nStreams} streams cannot fit in ${payload.length} bytes`);
  if (total * 2 > r.left) throw r.fail(`${total} entries cannot fit in ${payload.length} bytes`);
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const streams: IndexedStream[] = [];
  let seen = 0;
  for (let s = 0; s < nStreams; s++) {
    const tableStart = r.pos;
    const nLabels = r.count(2, "labels");
    for (let i = 0; i < 2 * nLabels; i++) r.skipStr();
    const tableEnd = r.pos;
    const entries = r.u32();
    const bytes = r.u32();
    if (seen + entries > total)
      throw r.fail(`stream ${s} has ${entries} entries, more than the header's ${total} in all`);
    if (bytes > r.left) throw r.fail(`stream ${s}'s ${bytes} bytes of entries run past the end`);
    const start = r.pos;
    const end = start + bytes;
    for (let i = 0; i < entries; i++) r.entry(end);
    if (r.pos !== end) throw r.fail(`stream ${s} has ${end - r.pos} bytes after its ${entries} entries`);
    const key = keys.get(view.toString("latin1", tableStart, tableEnd), () =>
      readLabelTable(payload, tableStart),
    );
    streams.push({ key, start, end, entries });
    seen += entries;
  }
  if (seen !== total) throw r.fail(`the header says ${total} entries, the streams hold ${seen}`);
  if (r.left !== 0) throw r.fail(`${r.left} bytes left over after the last stream`);
  return { payload, entries: total, streams };
}

/** Bytes of the entry field at `at` of an indexed record: tag, length and message. */
export function entryFieldSize(payload: Uint8Array, at: number): number {
  let p = at + 1;
  let len = 0;
  let mul = 1;
  for (;;) {
    const x = payload[p++]!;
    len += (x & 0x7f) * mul;
    if (x < 0x80) return p - at + len;
    mul *= 0x80;
  }
}

/** The label pairs of the table at `at` (already checked). */
function readLabelTable(payload: Uint8Array, at: number): [string, string][] {
  const r = new Reader(payload);
  r.pos = at;
  const n = r.uvarint();
  const pairs: [string, string][] = [];
  for (let i = 0; i < n; i++) pairs.push([r.str(), r.str()]);
  return pairs;
}

/**
 * A version 1 record, decoded and written again as version 2. Its int64 nanosecond timestamps
 * (years 1677 to 2262) are all within what version 2 takes, so no entry is left out.
 */
function convertV1(payload: Uint8Array, keys: StreamKeyCache): IndexedRecord {
  const v1 = decodeLogRecordV1(payload);
  let out: Uint8Array = new Uint8Array(0);
  const enc = new LogRecordEncoder(
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    (p) => {
      out = p.slice();
    },
    (reason) => {
      throw new LogRecordError(
        "malformed",
        `log record of version 1 has an entry version 2 refuses (${reason})`,
      );
    },
  );
  for (const s of v1.streams) {
    enc.stream(s.labels);
    for (const e of s.entries) enc.entry(e.timestampNs, e.line, e.structuredMetadata);
  }
  enc.finish();
  return out.length === 0 ? { payload: out, entries: 0, streams: [] } : indexLogRecord(out, keys);
}

/** The version 2 reader: the common cursor, and the push entries' fields. */
class Reader extends RecordReader {
  /** Skips a varint of at most 10 bytes (a protobuf int64) before `end`. */
  skipVarint(end: number): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw this.fail("a varint runs past its field");
      if (this.b[this.pos++]! < 0x80) return;
    }
    throw this.fail("a varint is longer than 10 bytes");
  }

  skipStr(): void {
    const n = this.len();
    this.pos += n;
  }

  /** Checks one entry field (an `EntryAdapter` message) ending at or before `end`, and steps over it. */
  entry(end: number): void {
    if (this.pos >= end) throw this.fail("an entry runs past its stream");
    if (this.b[this.pos] !== TAG_ENTRY) throw this.fail(`an entry starts with byte ${this.b[this.pos]}`);
    this.pos++;
    const bodyLen = this.len(end);
    const stop = this.pos + bodyLen;
    while (this.pos < stop) {
      const tag = this.b[this.pos++];
      const n = this.len(stop);
      const fieldEnd = this.pos + n;
      if (tag === TAG_TS) {
        while (this.pos < fieldEnd) {
          const t = this.b[this.pos++];
          if (t !== TAG_SECONDS && t !== TAG_NANOS) throw this.fail(`a timestamp has field tag ${t}`);
          this.skipVarint(fieldEnd);
        }
      } else if (tag === TAG_METADATA) {
        while (this.pos < fieldEnd) {
          const t = this.b[this.pos++];
          if (t !== TAG_NAME && t !== TAG_VALUE) throw this.fail(`a metadata pair has field tag ${t}`);
          const len = this.len(fieldEnd);
          this.pos += len;
        }
      } else if (tag !== TAG_LINE) throw this.fail(`an entry has field tag ${tag}`);
      this.pos = fieldEnd;
    }
  }
}

/**
 * A 32-bit hash of a stream's sorted labels (FNV-1a with murmur3's finaliser): the same label set
 * always goes to the same lane, which keeps its order.
 */
export function labelsHash(labels: readonly (readonly [string, string])[]): number {
  let h = 0x811c9dc5;
  for (const [name, value] of labels) {
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xfe, 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
