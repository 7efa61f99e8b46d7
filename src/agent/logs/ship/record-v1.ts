/**
 * The log record of version 1 (docs/format/agent-log-records.md), which agents before version 2
 * wrote: read only, so that a queue left by such an agent is still delivered
 * (`indexLogRecord` converts it). Entries hold a timestamp delta, the line and its metadata as
 * strings; {@link decodeLogRecordV1} checks every byte, since it comes from disk.
 */
import type { PushEntry } from "../../../wire/loki/index.js";
import { LogRecordError } from "./record-error.js";
import { RecordReader, readU32 } from "./record-reader.js";

/** The version byte of these records. */
const VERSION = 1;
/** version u8 + entries u32 + streams u32. */
const HEADER_BYTES = 9;
/** The least bytes of an entry: tsDelta, line length, metadata count. */
const MIN_ENTRY_BYTES = 3;
/** The least bytes of a stream: labels count, entries u32. */
const MIN_STREAM_BYTES = 5;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** One stream of a decoded version 1 record. */
export interface DecodedStream {
  /** Sorted label pairs, as written. */
  readonly labels: [string, string][];
  /** The entries in append order, in the shape the push encoder takes. */
  readonly entries: PushEntry[];
  /** UTF-8 bytes of each entry's line and metadata names and values (what `batchSize` counts). */
  readonly sizes: number[];
}

/** A decoded version 1 record. */
export interface DecodedLogRecord {
  /** Entries of all streams. */
  readonly entries: number;
  readonly streams: DecodedStream[];
}

/**
 * Decodes one record. Throws {@link LogRecordError} (and nothing else) for a record that is not
 * exactly a valid record of a known version: its message names the problem and the offset.
 */
export function decodeLogRecordV1(payload: Uint8Array): DecodedLogRecord {
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
  if (payload[0] !== VERSION)
    throw new LogRecordError("malformed", `log record version ${payload[0]} is not 1`);
  if (payload.length < HEADER_BYTES)
    throw new LogRecordError("malformed", `log record of ${payload.length} bytes is shorter than its header`);
}

/** The version 1 reader: the common cursor, and the zigzag timestamps only this version has. */
class Reader extends RecordReader {
  /** A zigzag varint of up to 10 bytes (70 bits). */
  svarint(): bigint {
    const b = this.b;
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
}
