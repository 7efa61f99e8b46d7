import { open, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { mkdirDurable, syncDir } from "./durable-files.js";
import type { FrameProblem } from "./errors.js";
import {
  CURSOR_FILE,
  type CursorPosition,
  decodeCursor,
  FRAME_HEADER_BYTES,
  parseSegmentName,
  SEGMENT_HEADER_BYTES,
  segmentName,
} from "./format.js";
import { readSegmentHeader, scanSegment } from "./frame-reader.js";

/** A segment found on disk at open. */
export interface FoundSegment {
  readonly seq: number;
  /** Index of its first record (for a bad segment: its `endIndex`, so it counts no records). */
  readonly firstIndex: number;
  /** One past its last record: the next segment's `firstIndex`, or counted for the last one. */
  readonly endIndex: number;
  /** Bytes (the last one after its torn tail was cut). */
  readonly size: number;
  /** Its header is damaged: none of it can be read. */
  readonly bad: boolean;
}

/** The end of the last segment cut off at open: where, how many bytes and why. */
export interface TornTail {
  readonly segment: number;
  /** Where the cut bytes started; 0 when the whole file (a bad header) was deleted. */
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: FrameProblem | "bad_header";
}

/** How the acknowledgement cursor was found at open. */
export type CursorState = "found" | "absent" | "unreadable";

/** The state of a queue directory after recovery (docs/format/agent-queue.md, "Open"). */
export interface Recovery {
  /** The segments from the cursor's on, ascending; the last one is appended to. May be empty. */
  readonly segments: FoundSegment[];
  /** Where delivery resumes. Its segment is `segments[0]`, or `freshSeq` when there is none. */
  readonly cursor: CursorPosition;
  /** The number for a new segment when `segments` is empty. */
  readonly freshSeq: number;
  readonly cursorState: CursorState;
  readonly tornTails: TornTail[];
}

/**
 * Recovers queue directory `dir` (creating it if needed): deletes `.tmp` leftovers, deletes a last
 * segment with a bad header, cuts a torn tail off the last segment, reads and places the cursor, and
 * deletes segments below it. `sync` false skips every fsync.
 */
export async function recover(dir: string, sync: boolean): Promise<Recovery> {
  await mkdirDurable(dir, sync);
  let changed = false;
  const seqs: number[] = [];
  for (const name of await readdir(dir)) {
    if (name.endsWith(".tmp")) {
      await rm(join(dir, name), { force: true });
      changed = true;
    } else {
      const seq = parseSegmentName(name);
      if (seq !== undefined) seqs.push(seq);
    }
  }
  seqs.sort((a, b) => a - b);

  const { saved, cursorState } = await readCursor(dir);
  const tornTails: TornTail[] = [];
  let lastMark: { offset: number; index: number } | undefined;
  let last: { seq: number; firstIndex: number; records: number; size: number } | undefined;
  while (seqs.length > 0 && last === undefined) {
    const seq = seqs.at(-1)!;
    const path = join(dir, segmentName(seq));
    // The cursor's frame boundary, if it lies in this segment: the last good frame end ≤ its offset.
    const mark = saved !== undefined && saved.segment === seq ? saved.offset : -1;
    let markAt = SEGMENT_HEADER_BYTES;
    let markRecords = 0;
    const scan = await scanSegment(path, (at, payload) => {
      const end = at + FRAME_HEADER_BYTES + payload.length;
      if (end <= mark) {
        markAt = end;
        markRecords++;
      }
    });
    if (scan.firstIndex === undefined) {
      await unlink(path);
      changed = true;
      seqs.pop();
      tornTails.push({ segment: seq, offset: 0, droppedBytes: scan.size, reason: "bad_header" });
      continue;
    }
    if (scan.bad !== undefined) {
      await truncateDurable(path, scan.goodEnd, sync);
      tornTails.push({
        segment: seq,
        offset: scan.bad.offset,
        droppedBytes: scan.size - scan.bad.offset,
        reason: scan.bad.reason,
      });
    }
    last = { seq, firstIndex: scan.firstIndex, records: scan.records, size: scan.goodEnd };
    lastMark = { offset: markAt, index: scan.firstIndex + markRecords };
  }

  // Headers of the others, then each one's end = the next one's start (a bad one holds no records).
  const found: FoundSegment[] = [];
  if (last !== undefined) {
    found.push({
      seq: last.seq,
      firstIndex: last.firstIndex,
      endIndex: last.firstIndex + last.records,
      size: last.size,
      bad: false,
    });
    for (let i = seqs.length - 2; i >= 0; i--) {
      const seq = seqs[i]!;
      const { firstIndex, size } = await readSegmentHeader(join(dir, segmentName(seq)));
      const end = found[0]!.firstIndex;
      found.unshift({
        seq,
        firstIndex: firstIndex ?? end,
        endIndex: end,
        size,
        bad: firstIndex === undefined,
      });
    }
  }

  const { cursor, freshSeq } = placeCursor(saved, found, lastMark);
  let deleted = false;
  while (found.length > 0 && found[0]!.seq < cursor.segment) {
    await unlink(join(dir, segmentName(found.shift()!.seq)));
    deleted = true;
  }
  if (changed || deleted) await syncDir(dir, sync);
  return { segments: found, cursor, freshSeq, cursorState, tornTails };
}

/** The saved cursor, if the file exists and is intact. */
async function readCursor(
  dir: string,
): Promise<{ saved: CursorPosition | undefined; cursorState: CursorState }> {
  try {
    const saved = decodeCursor(new Uint8Array(await readFile(join(dir, CURSOR_FILE))));
    return { saved, cursorState: saved === undefined ? "unreadable" : "found" };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    return { saved: undefined, cursorState: "absent" };
  }
}

/**
 * Moves the saved cursor onto an existing record boundary, or onto a fresh segment's start when no
 * segment is at or above it. `lastMark` is the frame boundary at or before the saved offset in the
 * last segment (meaningful when the cursor is in it).
 */
function placeCursor(
  saved: CursorPosition | undefined,
  segs: readonly FoundSegment[],
  lastMark: { offset: number; index: number } | undefined,
): { cursor: CursorPosition; freshSeq: number } {
  const lastSeg = segs.at(-1);
  const freshSeq = Math.max(lastSeg?.seq ?? 0, saved?.segment ?? 0) + 1;
  const start = (s: FoundSegment): CursorPosition => ({
    segment: s.seq,
    offset: SEGMENT_HEADER_BYTES,
    index: s.firstIndex,
  });

  let cursor: CursorPosition | undefined;
  if (saved === undefined) {
    if (segs[0] !== undefined) cursor = start(segs[0]);
  } else {
    const i = segs.findIndex((s) => s.seq >= saved.segment);
    const s = segs[i];
    if (s === undefined) {
      cursor = undefined;
    } else if (s.seq > saved.segment) {
      cursor = start(s);
    } else if (s.bad) {
      // Its records are counted from the saved index when the reader skips it.
      cursor = { segment: s.seq, offset: SEGMENT_HEADER_BYTES, index: Math.min(saved.index, s.firstIndex) };
    } else if (s === lastSeg) {
      cursor = { segment: s.seq, ...lastMark! };
    } else if (saved.offset >= s.size) {
      cursor = start(segs[i + 1]!);
    } else {
      cursor = {
        segment: s.seq,
        offset: Math.max(SEGMENT_HEADER_BYTES, saved.offset),
        index: Math.min(Math.max(saved.index, s.firstIndex), s.endIndex),
      };
    }
  }
  if (cursor === undefined) {
    // No segment at or above the cursor: delivery resumes at a segment yet to be created.
    const index = Math.max(saved?.index ?? 0, lastSeg?.endIndex ?? 0);
    cursor = { segment: freshSeq, offset: SEGMENT_HEADER_BYTES, index };
  }
  return { cursor, freshSeq };
}

/** Cuts `path` to `size` bytes and fsyncs it (a shrinking size is metadata). */
async function truncateDurable(path: string, size: number, sync: boolean): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.truncate(size);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}
