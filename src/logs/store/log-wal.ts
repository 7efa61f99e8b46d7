import {
  Cursor,
  RecordBuffer,
  RecordDecodeError,
  type RecordPosition,
  type ReplayReport,
  replay,
  type SyncMode,
  WAL,
} from "../../metrics/tsdb/wal/index.js";
import type { LogMetadata } from "./block-payload.js";

/**
 * The log head's write-ahead log (`docs/format/log-wal.md`): the STREAMS and ENTRIES records, and a
 * writer and replay that are the metrics WAL's own (segments, frames, group commit, torn tails are
 * shared code; only the record bodies are the log side's).
 */

/** Record type bytes of the log WAL; every other byte is refused at replay. */
export const LogRecordType = {
  /** New streams: id and label set. */
  Streams: 0x21,
  /** A batch of accepted entries. */
  Entries: 0x22,
} as const;

/** One stream declaration of a STREAMS record. */
export interface WalStream {
  /** The stream's id in its head (≥ 1). */
  readonly id: number;
  /** Labels sorted by name, names unique, values non-empty. */
  readonly labels: readonly (readonly [string, string])[];
}

/** One entry of an ENTRIES record. */
export interface WalEntry {
  /** The stream's id. */
  readonly id: number;
  /** Unix nanoseconds (int64). */
  readonly tsNs: bigint;
  readonly line: string;
  /** Structured metadata, or undefined for none. */
  readonly metadata: LogMetadata | undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Appends `v` as 8 bytes, big-endian two's complement. */
function int64(out: RecordBuffer, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`timestamp ${v} ns does not fit in an int64`);
  out.int64BE(v);
}

/** Encodes a STREAMS record into `out`; the returned view is valid until `out` is written again. */
export function encodeStreams(streams: readonly WalStream[], out: RecordBuffer): Uint8Array {
  out.reset();
  out.u8(LogRecordType.Streams);
  for (const s of streams) {
    out.uvarint(s.id);
    out.uvarint(s.labels.length);
    for (const [n, v] of s.labels) {
      out.string(n);
      out.string(v);
    }
  }
  return out.bytes();
}

/** Encodes an ENTRIES record of `entries[from, to)` into `out` (a view valid until `out` is written again). */
export function encodeEntries(
  entries: readonly WalEntry[],
  out: RecordBuffer,
  from = 0,
  to = entries.length,
): Uint8Array {
  out.reset();
  out.u8(LogRecordType.Entries);
  out.uvarint(to - from);
  for (let i = from; i < to; i++) {
    const e = entries[i]!;
    out.uvarint(e.id);
    int64(out, e.tsNs);
    out.string(e.line);
    const m = e.metadata;
    out.uvarint(m?.length ?? 0);
    if (m) {
      for (const [n, v] of m) {
        out.string(n);
        out.string(v);
      }
    }
  }
  return out.bytes();
}

/** Decodes a STREAMS record, checking label order; throws {@link RecordDecodeError}. */
export function decodeStreams(record: Uint8Array): WalStream[] {
  const c = new Cursor(record);
  if (c.u8() !== LogRecordType.Streams) throw new RecordDecodeError(0, "not a STREAMS record");
  const out: WalStream[] = [];
  while (!c.done) {
    const at = c.pos;
    const id = c.uvarint();
    const n = c.uvarint();
    if (id === 0 || n === 0) throw new RecordDecodeError(at, `stream id ${id} with ${n} labels`);
    const labels: [string, string][] = [];
    for (let i = 0; i < n; i++) {
      const name = c.string();
      const value = c.string();
      const prev = labels[i - 1];
      if (value === "" || (prev !== undefined && !(prev[0] < name))) {
        throw new RecordDecodeError(at, `stream ${id}: labels not sorted, repeated or empty`);
      }
      labels.push([name, value]);
    }
    out.push({ id, labels });
  }
  return out;
}

/** Decodes an ENTRIES record; throws {@link RecordDecodeError}. */
export function decodeEntries(record: Uint8Array): WalEntry[] {
  const c = new Cursor(record);
  if (c.u8() !== LogRecordType.Entries) throw new RecordDecodeError(0, "not an ENTRIES record");
  const count = c.uvarint();
  // Each entry takes at least 11 bytes, which bounds what a corrupt count can make us allocate.
  if (count * 11 > record.length)
    throw new RecordDecodeError(1, `count ${count} is too large for the record`);
  const out: WalEntry[] = [];
  for (let i = 0; i < count; i++) {
    const id = c.uvarint();
    const tsNs = c.int64();
    const line = c.string();
    const m = c.uvarint();
    let metadata: [string, string][] | undefined;
    if (m > 0) {
      metadata = [];
      for (let k = 0; k < m; k++) metadata.push([c.string(), c.string()]);
    }
    out.push({ id, tsNs, line, metadata });
  }
  if (!c.done) throw new RecordDecodeError(c.pos, "bytes after the last entry");
  return out;
}

/** A replayed record, decoded. */
export type LogWalRecord =
  | { readonly type: "streams"; readonly streams: WalStream[] }
  | { readonly type: "entries"; readonly entries: WalEntry[] };

/**
 * Reads the log WAL in `dir` in order, calling `handler` with each decoded record. A torn tail of the
 * last segment is cut off and reported; a bad frame elsewhere, or a record that does not decode (or
 * that `handler` refuses with a {@link RecordDecodeError}), throws `WALCorruptionError` naming the
 * file and offset. Run it before {@link LogWAL.open}.
 */
export function replayLogWAL(
  dir: string,
  handler: (rec: LogWalRecord, pos: Readonly<RecordPosition>) => void,
  opts: { syncMode?: SyncMode } = {},
): Promise<ReplayReport> {
  return replay(
    dir,
    (record, pos) => {
      switch (record[0]) {
        case LogRecordType.Streams:
          handler({ type: "streams", streams: decodeStreams(record) }, pos);
          return;
        case LogRecordType.Entries:
          handler({ type: "entries", entries: decodeEntries(record) }, pos);
          return;
        default:
          throw new RecordDecodeError(0, `unknown log WAL record type ${record[0]}`);
      }
    },
    { syncMode: opts.syncMode ?? "always" },
  );
}

/** ENTRIES records are split so that none passes this many bytes. */
export const MAX_ENTRIES_RECORD_BYTES = 64 * 1024 * 1024;

/** Options of {@link LogWAL.open}. */
export interface LogWALOptions {
  /** Segment size cap, bytes (default 128 MiB). */
  readonly segmentBytes?: number;
  /** `"never"` skips every sync: tests and benchmarks only. */
  readonly syncMode?: SyncMode;
  /** The replay's `verifiedEnd`, so the last segment is not read twice. */
  readonly verifiedEnd?: ReplayReport["verifiedEnd"];
}

/**
 * The writer: `logPush` encodes one push's new streams and entries and resolves once they are
 * `fdatasync`'d (group commit: concurrent pushes share a write and a sync; they resolve in call order).
 */
export class LogWAL {
  readonly #wal: WAL;
  readonly #buf = new RecordBuffer(64 * 1024);

  private constructor(wal: WAL) {
    this.#wal = wal;
  }

  /** Opens (creating) the WAL directory for appending, after {@link replayLogWAL} read it. */
  static async open(dir: string, opts: LogWALOptions = {}): Promise<LogWAL> {
    const wal = await WAL.open(dir, {
      ...(opts.segmentBytes === undefined ? {} : { segmentBytes: opts.segmentBytes }),
      syncMode: opts.syncMode ?? "always",
      verifiedEnd: opts.verifiedEnd,
    });
    return new LogWAL(wal);
  }

  /** Counters of the underlying WAL (commits, batches, syncs, bytes, cuts). */
  get stats(): WAL["stats"] {
    return this.#wal.stats;
  }

  /**
   * Logs one push: a STREAMS record for `streams` (when any), then ENTRIES records of `entries`, in
   * one group commit. Resolves once durable; rejects with the WAL's error (`wal_failed`, `wal_closed`).
   * Encoding happens before this returns, so the caller may change its arrays at once.
   */
  logPush(streams: readonly WalStream[], entries: readonly WalEntry[]): Promise<void> {
    const records: Uint8Array[] = [];
    if (streams.length > 0) records.push(encodeStreams(streams, this.#buf).slice());
    let from = 0;
    while (from < entries.length) {
      // Split by an estimate of the bytes per entry; the encoder is exact, so re-check the size.
      let to = from;
      let bytes = 8;
      while (to < entries.length && (to === from || bytes < MAX_ENTRIES_RECORD_BYTES)) {
        const e = entries[to]!;
        bytes += 24 + e.line.length * 3;
        if (e.metadata) for (const [n, v] of e.metadata) bytes += 10 + (n.length + v.length) * 3;
        to++;
      }
      records.push(encodeEntries(entries, this.#buf, from, to).slice());
      from = to;
    }
    return this.#wal.log(records);
  }

  /** The number of the segment being written. */
  get currentSegment(): number {
    return this.#wal.currentSegment;
  }

  /** Closes the current segment once everything logged before is durable; resolves with the next one's number. */
  cut(): Promise<number> {
    return this.#wal.cut();
  }

  /** Deletes the segments numbered below `before` (at most {@link currentSegment}). */
  truncate(before: number): Promise<void> {
    return this.#wal.truncate(before);
  }

  /** Waits for pending pushes, then closes the file. */
  close(): Promise<void> {
    return this.#wal.close();
  }
}
