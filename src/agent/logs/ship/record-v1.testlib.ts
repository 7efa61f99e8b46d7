/**
 * The version 1 log record writer, as agents before version 2 had it: tests write version 1 records
 * with it to check that a queue left by such an agent is still read (record-v1.ts).
 */
import type { CheckedStream, LogEntry } from "./log-streams.js";

const LOG_RECORD_VERSION = 1;
const HEADER_BYTES = 9;
const SAFE_DELTA = 2 ** 51;

/**
 * Where an encoded record goes, with its entry count. The bytes are borrowed: they are overwritten
 * by the encoder's next record, so copy them (the disk queue's `append` does).
 */
type RecordSink = (payload: Uint8Array, entries: number) => void;

/**
 * Writes streams as records of at most `recordBytes` each (a record holding one entry may be larger,
 * up to `maxRecordBytes`). One encoder is reused; its buffer grows to the largest record. Not
 * re-entrant.
 */
export class LogRecordEncoderV1 {
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
