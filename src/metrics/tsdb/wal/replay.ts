import { join, resolve as resolvePath } from "node:path";
import type { Logger } from "../../../lib/log/logger.js";
import { type CorruptionReason, type FrameProblem, RecordDecodeError, WALCorruptionError } from "./errors.js";
import {
  checkpointName,
  listCheckpoints,
  listSegments,
  SEGMENT_HEADER_BYTES,
  type SyncMode,
  segmentName,
  truncateSegment,
} from "./segment.js";
import { SegmentReader, type TornTail, type VerifiedEnd } from "./segment-reader.js";

/** Where a replayed record was read. The handler gets one object, reused: copy what it keeps. */
export interface RecordPosition {
  /** Path of the segment file. */
  file: string;
  /** The segment's number (within the checkpoint directory when {@link checkpoint} is set). */
  segment: number;
  /** Offset of the record's frame in the file, bytes. */
  offset: number;
  /** The checkpoint's number while its records are replayed, else undefined. */
  checkpoint: number | undefined;
}

/**
 * Called for each record in log order. `record` (type byte first) is a view into the reader's buffer,
 * valid only until the handler returns (or its promise settles): copy what must be kept. A
 * `RecordDecodeError` it throws becomes a {@link WALCorruptionError} naming the file and offset;
 * any other error stops the replay and is rethrown as is.
 */
export type RecordHandler = (record: Uint8Array, pos: Readonly<RecordPosition>) => void | Promise<void>;

/** Options of {@link replay}. */
export interface ReplayOptions {
  /**
   * What to do with a bad frame in a segment that is not the last, or in a checkpoint: `"fail"`
   * (default) throws {@link WALCorruptionError}; `"skip-segment"` warns loudly, loses the rest of
   * that file, reports it in {@link ReplayReport.skipped} and goes on with the next file.
   */
  onCorruption?: "fail" | "skip-segment";
  /** Whether the truncation of a torn tail is synced. Default `"always"`. */
  syncMode?: SyncMode;
  /** Receives a warning for a torn tail or a skipped region; skipped regions also go to `process.emitWarning` without one. */
  logger?: Logger;
}

/** A region of a file that replay skipped under `onCorruption: "skip-segment"`. */
export interface SkippedRegion {
  /** Path of the file. */
  readonly file: string;
  /** Offset where the skipped bytes start. */
  readonly offset: number;
  /** How many bytes were skipped (to the end of the file). */
  readonly droppedBytes: number;
  readonly reason: FrameProblem;
}

/** What {@link replay} read and what it dropped. */
export interface ReplayReport {
  /** The checkpoint replayed first, if any. */
  checkpoint: number | undefined;
  /** The segments read after it, ascending. */
  segments: number[];
  /** Records handed to the handler. */
  records: number;
  /** Their bytes. */
  bytes: number;
  /** The torn tail cut off the last segment, if there was one (not an error: it was never acknowledged). */
  torn: TornTail | undefined;
  /** Regions lost to `onCorruption: "skip-segment"`. */
  skipped: SkippedRegion[];
  /**
   * The last segment and its size once checked (and repaired): pass it to `WAL.open` as
   * `verifiedEnd` so that it does not read and checksum that segment a second time.
   */
  verifiedEnd: VerifiedEnd | undefined;
}

const PROBLEM_TEXT: Record<CorruptionReason, string> = {
  short_header: "the file ends inside a frame header",
  bad_length: "a frame length of 0 or above 256 MiB",
  short_record: "a frame that runs past the end of the file",
  checksum: "a CRC32C mismatch",
  bad_header: "a bad segment header",
  missing_segment: "a missing segment",
  bad_record: "a record that does not decode",
};

/**
 * Reads the WAL in `walDir` in log order — the newest checkpoint, then every segment after it —
 * checking every frame, and calls `handler` for each record. A torn tail of the last segment is
 * cut off the file (so new writes append cleanly) and reported, not thrown. A bad frame anywhere
 * else, a bad header or a gap in the segment numbers throws {@link WALCorruptionError} naming the
 * file and offset (see {@link ReplayOptions.onCorruption}). An absent directory replays nothing.
 * Run it before {@link WAL.open}, never while a WAL is open on the directory.
 */
export async function replay(
  walDir: string,
  handler: RecordHandler,
  opts: ReplayOptions = {},
): Promise<ReplayReport> {
  const dir = resolvePath(walDir);
  const report: ReplayReport = {
    checkpoint: undefined,
    segments: [],
    records: 0,
    bytes: 0,
    torn: undefined,
    skipped: [],
    verifiedEnd: undefined,
  };
  const pos: RecordPosition = { file: "", segment: 0, offset: 0, checkpoint: undefined };

  const cp = (await listCheckpoints(dir)).at(-1);
  if (cp !== undefined) {
    const cpDir = join(dir, checkpointName(cp));
    const files = await listSegments(cpDir);
    if (files.length === 0) {
      throw new WALCorruptionError(
        cpDir,
        0,
        "missing_segment",
        `WAL checkpoint ${cpDir} holds no segment file; it was damaged after it was written. ` +
          "Restore it from a backup; without it the series of the segments it replaced are lost",
      );
    }
    checkConsecutive(cpDir, files, 1);
    report.checkpoint = cp;
    pos.checkpoint = cp;
    for (const n of files) await readFile(join(cpDir, segmentName(n)), n, false, handler, pos, report, opts);
  }

  const all = await listSegments(dir);
  const segments = cp === undefined ? all : all.filter((n) => n > cp);
  const first = segments[0];
  if (first !== undefined) checkConsecutive(dir, segments, cp === undefined ? first : cp + 1);
  pos.checkpoint = undefined;
  for (let k = 0; k < segments.length; k++) {
    const n = segments[k]!;
    await readFile(join(dir, segmentName(n)), n, k === segments.length - 1, handler, pos, report, opts);
    report.segments.push(n);
  }
  return report;
}

/** Throws if `numbers` (ascending) do not run `from, from + 1, …` without a gap. */
function checkConsecutive(dir: string, numbers: readonly number[], from: number): void {
  let want = from;
  for (const n of numbers) {
    if (n !== want) {
      const missing = join(dir, segmentName(want));
      throw new WALCorruptionError(
        missing,
        0,
        "missing_segment",
        `WAL segment ${missing} is missing (the next one is ${segmentName(n)}); the records it held are lost. ` +
          "Restore it from a backup, or move the segments after the gap out of the directory to start from what precedes it",
      );
    }
    want++;
  }
}

async function readFile(
  file: string,
  segment: number,
  isLast: boolean,
  handler: RecordHandler,
  pos: RecordPosition,
  report: ReplayReport,
  opts: ReplayOptions,
): Promise<void> {
  const reader = await SegmentReader.open(file);
  try {
    pos.file = file;
    pos.segment = segment;
    while (await reader.next()) {
      pos.offset = reader.offset;
      report.records++;
      report.bytes += reader.record.length;
      try {
        const p = handler(reader.record, pos);
        if (p instanceof Promise) await p;
      } catch (err) {
        if (!(err instanceof RecordDecodeError)) throw err;
        throw new WALCorruptionError(
          file,
          reader.offset,
          "bad_record",
          `WAL record at ${file} offset ${reader.offset} has a good checksum but does not decode (record byte ` +
            `${err.offset}: ${err.message}); it was written by another version or a bug. Keep the file for a report`,
          { cause: err },
        );
      }
    }
  } finally {
    await reader.close();
  }

  const bad = reader.bad;
  if (isLast) report.verifiedEnd = { segment, size: Math.max(reader.goodEnd, SEGMENT_HEADER_BYTES) };
  if (bad === undefined) return;
  const droppedBytes = reader.size - bad.offset;
  if (isLast) {
    await truncateSegment(file, bad.offset, opts.syncMode ?? "always");
    report.torn = { file, segment, offset: bad.offset, droppedBytes, reason: bad.reason };
    opts.logger?.warn("WAL: dropped the torn tail of the last segment (a write cut short by a crash)", {
      file,
      offset: bad.offset,
      droppedBytes,
      reason: bad.reason,
    });
    return;
  }
  const where = `${file} at byte ${bad.offset} (${PROBLEM_TEXT[bad.reason]})`;
  if (opts.onCorruption !== "skip-segment") {
    throw new WALCorruptionError(
      file,
      bad.offset,
      bad.reason,
      `WAL corrupt: ${where}. It is not the last segment, so a crash cannot explain it; the ${droppedBytes} bytes ` +
        'after it are unreadable. Restore the file from a backup, or replay with onCorruption: "skip-segment" to ' +
        "lose them and continue",
    );
  }
  report.skipped.push({ file, offset: bad.offset, droppedBytes, reason: bad.reason });
  const msg = `WAL corrupt: ${where}; skipping the remaining ${droppedBytes} bytes of this file as asked (onCorruption: "skip-segment"): the records there are LOST`;
  if (opts.logger) opts.logger.error(msg, { file, offset: bad.offset, droppedBytes, reason: bad.reason });
  else process.emitWarning(msg, { code: "MIRADOR_WAL_CORRUPT" });
}
