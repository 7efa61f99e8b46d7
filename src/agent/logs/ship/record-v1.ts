/**
 * The log record: a batch of log entries grouped by stream, as one payload of the agent's disk
 * queue (docs/format/agent-log-records.md). {@link LogRecordEncoder} writes records cut to a size;
 * {@link decodeLogRecord} reads one back, checking every byte, since it comes from disk.
 */
import type { PushEntry } from "../../../wire/loki/index.js";
import type { CheckedStream, LogEntry } from "./log-streams.js";

/** The version byte this code writes. */
export const LOG_RECORD_VERSION = 1;
/** version u8 + entries u32 + streams u32. */
const HEADER_BYTES = 9;
/** The least bytes of an entry: tsDelta, line length, metadata count. */
const MIN_ENTRY_BYTES = 3;
/** The least bytes of a stream: labels count, entries u32. */
const MIN_STREAM_BYTES = 5;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE_DELTA = 2 ** 51;

/** Stable codes of {@link LogRecordError}. */
export type LogRecordErrorCode = "malformed" | "unsupported_version";

/** A log record that cannot be read; the message says what was wrong and where. */
export class LogRecordError extends Error {
  override readonly name = "LogRecordError";

  constructor(
    readonly code: LogRecordErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One stream of a decoded record. */
export interface DecodedStream {
  /** Sorted label pairs, as written. */
  readonly labels: [string, string][];
  /** The entries in append order, in the shape the push encoder takes. */
  readonly entries: PushEntry[];
  /** UTF-8 bytes of each entry's line and metadata names and values (what `batchSize` counts). */
  readonly sizes: number[];
}

/** A decoded record. */
export interface DecodedLogRecord {
  /** Entries of all streams. */
  readonly entries: number;
  readonly streams: DecodedStream[];
}

/**
 * Where an encoded record goes, with its entry count. The bytes are borrowed: they are overwritten
 * by the encoder's next record, so copy them (the disk queue's `append` does).
 */
export type RecordSink = (payload: Uint8Array, entries: number) => void;

/**
 * Writes streams as records of at most `recordBytes` each (a record holding one entry may be larger,
 * up to `maxRecordBytes`). One encoder is reused; its buffer grows to the largest record. Not
 * re-entrant.
 */
export class LogRecordEncoder {
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  #pos = 0;
  #entries = 0;
  #streams = 0;
  /** Offset of the current stream's entry count; -1 when no stream is open. */
  #streamCountAt = -1;
  #streamEntries = 0;
  /** Where the open stream's header begins, to take it back if the stream ends up empty. */
  #streamStart = 0;
  #prevTs = 0n;

  constructor(
    /** Target record size, bytes. */
    readonly recordBytes: number,
    /** Hard limit (the queue's `maxPayloadBytes`): an entry that does not fit alone is refused. */
    readonly maxRecordBytes: number,
  ) {}

  /**
   * Encodes `streams` (checked labels) into records passed to `sink` in order. Each entry that alone
   * would make a record larger than `maxRecordBytes` is reported to `onTooLarge` and left out.
   */
  encode(
    streams: readonly CheckedStream[],
    sink: RecordSink,
    onTooLarge: (entry: LogEntry, bytes: number) => void,
  ): void {
    this.#begin();
    for (const s of streams) {
      let open = false;
      for (const e of s.entries) {
        if (!open) {
          this.#openStream(s.labels);
          open = true;
        }
        const before = this.#pos;
        this.#writeEntry(e);
        const size = this.#pos;
        if (size <= this.recordBytes || this.#entries === 0) {
          if (size > this.maxRecordBytes) {
            this.#pos = before;
            onTooLarge(e, size - before);
            continue;
          }
          this.#entryDone(e);
          continue;
        }
        // The record is full: close it without this entry and start the next with it.
        this.#pos = before;
        this.#flush(sink);
        this.#begin();
        this.#openStream(s.labels);
        const start = this.#pos;
        this.#writeEntry(e);
        if (this.#pos > this.maxRecordBytes) {
          const bytes = this.#pos - start;
          this.#pos = start;
          onTooLarge(e, bytes);
          continue;
        }
        this.#entryDone(e);
      }
      if (open) this.#closeStream();
    }
    if (this.#entries > 0) this.#flush(sink);
  }

  #begin(): void {
    this.#pos = HEADER_BYTES;
    this.#entries = 0;
    this.#streams = 0;
    this.#streamCountAt = -1;
  }

  #openStream(labels: readonly (readonly [string, string])[]): void {
    this.#closeStream();
    this.#streamStart = this.#pos;
    this.#uvarint(labels.length);
    for (const [n, v] of labels) {
      this.#str(n);
      this.#str(v);
    }
    this.#ensure(4);
    this.#streamCountAt = this.#pos;
    this.#pos += 4;
    this.#streamEntries = 0;
    this.#prevTs = 0n;
  }

  /** Closes the open stream: fills in its count, or takes it back out when it got no entry. */
  #closeStream(): void {
    const at = this.#streamCountAt;
    if (at < 0) return;
    this.#streamCountAt = -1;
    if (this.#streamEntries === 0) {
      // Only the stream's header was written since it was opened: take it back.
      this.#pos = this.#streamStart;
      return;
    }
    this.#buf.writeUInt32BE(this.#streamEntries, at);
    this.#streams++;
  }

  #writeEntry(e: LogEntry): void {
    const d = e.tsNs - this.#prevTs;
    if (d > -SAFE_DELTA && d < SAFE_DELTA) {
      const n = Number(d);
      this.#uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
    } else this.#uvarintBig(d >= 0n ? d * 2n : -d * 2n - 1n);
    this.#str(e.line);
    const md = e.metadata;
    if (md === undefined) this.#uvarint(0);
    else {
      this.#uvarint(md.length);
      for (const [n, v] of md) {
        this.#str(n);
        this.#str(v);
      }
    }
  }

  #entryDone(e: LogEntry): void {
    this.#prevTs = e.tsNs;
    this.#streamEntries++;
    this.#entries++;
  }

  #flush(sink: RecordSink): void {
    this.#closeStream();
    const b = this.#buf;
    b[0] = LOG_RECORD_VERSION;
    b.writeUInt32BE(this.#entries, 1);
    b.writeUInt32BE(this.#streams, 5);
    // A plain Uint8Array view, so that `slice()` copies (a Buffer's `slice` would not).
    sink(new Uint8Array(b.buffer, b.byteOffset, this.#pos), this.#entries);
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

  #uvarint(v: number): void {
    this.#ensure(10);
    const b = this.#buf;
    let p = this.#pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.#pos = p;
  }

  #uvarintBig(v: bigint): void {
    this.#ensure(10);
    const b = this.#buf;
    let p = this.#pos;
    while (v >= 0x80n) {
      b[p++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    b[p++] = Number(v);
    this.#pos = p;
  }

  #str(s: string): void {
    // At most 3 UTF-8 bytes per UTF-16 unit; the length prefix is written once the size is known.
    const max = s.length * 3;
    this.#ensure(max + 10);
    if (max < 0x80) {
      const n = this.#buf.write(s, this.#pos + 1, "utf8");
      this.#buf[this.#pos] = n;
      this.#pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s, "utf8");
    this.#uvarint(n);
    this.#pos += this.#buf.write(s, this.#pos, "utf8");
  }
}

/** The entry count in a record's header; throws {@link LogRecordError} if the header is unreadable. */
export function logRecordEntryCount(payload: Uint8Array): number {
  checkHeader(payload);
  return readU32(payload, 1);
}

/**
 * Decodes one record. Throws {@link LogRecordError} (and nothing else) for a record that is not
 * exactly a valid record of a known version: its message names the problem and the offset.
 */
export function decodeLogRecord(payload: Uint8Array): DecodedLogRecord {
  checkHeader(payload);
  const r = new Reader(payload);
  r.pos = HEADER_BYTES;
  const total = readU32(payload, 1);
  const nStreams = readU32(payload, 5);
  if (nStreams * MIN_STREAM_BYTES > payload.length - HEADER_BYTES)
    throw r.fail(`${nStreams} streams cannot fit in ${payload.length} bytes`);
  if (total * MIN_ENTRY_BYTES > payload.length - HEADER_BYTES)
    throw r.fail(`${total} entries cannot fit in ${payload.length} bytes`);
  const streams: DecodedStream[] = [];
  let seen = 0;
  for (let s = 0; s < nStreams; s++) {
    const nLabels = r.count(2, "labels");
    const labels: [string, string][] = [];
    for (let i = 0; i < nLabels; i++) labels.push([r.str(), r.str()]);
    const nEntries = r.u32();
    if (seen + nEntries > total)
      throw r.fail(`stream ${s} has ${nEntries} entries, more than the header's ${total} in all`);
    if (nEntries * MIN_ENTRY_BYTES > r.left)
      throw r.fail(`${nEntries} entries cannot fit in ${r.left} bytes`);
    const entries: PushEntry[] = [];
    const sizes: number[] = [];
    let ts = 0n;
    for (let i = 0; i < nEntries; i++) {
      ts += r.svarint();
      if (ts < INT64_MIN || ts > INT64_MAX) throw r.fail(`timestamp ${ts} ns is outside int64`);
      const line = r.str();
      let size = r.lastStrBytes;
      const nMd = r.count(2, "metadata pairs");
      if (nMd === 0) entries.push({ timestampNs: ts, line });
      else {
        const md: [string, string][] = [];
        for (let k = 0; k < nMd; k++) {
          const name = r.str();
          size += r.lastStrBytes;
          md.push([name, r.str()]);
          size += r.lastStrBytes;
        }
        entries.push({ timestampNs: ts, line, structuredMetadata: md });
      }
      sizes.push(size);
    }
    seen += nEntries;
    streams.push({ labels, entries, sizes });
  }
  if (seen !== total) throw r.fail(`the header says ${total} entries, the streams hold ${seen}`);
  if (r.left !== 0) throw r.fail(`${r.left} bytes left over after the last stream`);
  return { entries: total, streams };
}

function checkHeader(payload: Uint8Array): void {
  if (payload.length < 1) throw new LogRecordError("malformed", "log record is empty");
  if (payload[0] !== LOG_RECORD_VERSION) {
    throw new LogRecordError(
      "unsupported_version",
      `log record version ${payload[0]} is not known to this agent (it reads version ${LOG_RECORD_VERSION}); was the queue written by a newer agent?`,
    );
  }
  if (payload.length < HEADER_BYTES)
    throw new LogRecordError("malformed", `log record of ${payload.length} bytes is shorter than its header`);
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** A bounds-checked cursor over a record. */
class Reader {
  pos = 0;
  /** UTF-8 bytes of the last string read. */
  lastStrBytes = 0;
  readonly #b: Uint8Array;
  readonly #buf: Buffer;

  constructor(b: Uint8Array) {
    this.#b = b;
    this.#buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  get left(): number {
    return this.#b.length - this.pos;
  }

  fail(what: string): LogRecordError {
    return new LogRecordError("malformed", `log record is malformed at byte ${this.pos}: ${what}`);
  }

  u32(): number {
    if (this.left < 4) throw this.fail("a 4-byte count runs past the end");
    const v = readU32(this.#b, this.pos);
    this.pos += 4;
    return v;
  }

  /** A uvarint that must fit a JavaScript number (below 2^49). */
  uvarint(): number {
    const b = this.#b;
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

  /** A zigzag varint of up to 10 bytes (70 bits). */
  svarint(): bigint {
    const b = this.#b;
    const start = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const x = b[this.pos];
      if (x === undefined) throw this.fail("a timestamp varint runs past the end");
      this.pos++;
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v % 2 === 0 ? BigInt(v / 2) : -BigInt((v + 1) / 2);
      mul *= 0x80;
    }
    // Longer than 49 bits: start over in bigint.
    this.pos = start;
    let z = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const x = b[this.pos];
      if (x === undefined) throw this.fail("a timestamp varint runs past the end");
      this.pos++;
      z |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) return (z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n);
      shift += 7n;
    }
    throw this.fail("a timestamp varint is longer than 10 bytes");
  }

  str(): string {
    const n = this.uvarint();
    if (n > this.left) throw this.fail(`a string of ${n} bytes runs past the end (${this.left} left)`);
    const s = this.#buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    this.lastStrBytes = n;
    return s;
  }
}
