import type { FileHandle } from "node:fs/promises";
import { SEGMENT_HEADER_BYTES } from "./format.js";
import type { FoundSegment } from "./recover.js";

/**
 * The in-memory picture of a queue directory that the queue (appends, reads, acks) and its writer
 * loop (file I/O) share. Single-threaded: each side changes it only between its own awaits.
 */

/** An empty buffer, for segments without buffered frames. */
export const EMPTY: Uint8Array = new Uint8Array(0);

/** One segment, on disk or still only in memory. */
export interface Segment {
  readonly seq: number;
  readonly firstIndex: number;
  /** One past its last record. */
  endIndex: number;
  /** Bytes appended (header included), written or still buffered. */
  size: number;
  /** Bytes in the file; 0 until the file is created. Frames below it may be read. */
  written: number;
  /** Bytes known durable. */
  synced: number;
  /** The header is damaged: skipped whole. */
  readonly bad: boolean;
  /** Acknowledged through or dropped: out of the queue, its file to be deleted. */
  gone: boolean;
  /** Frames appended and not yet handed to the writer loop (file bytes `[size − pendingLen, size)`). */
  pending: Uint8Array;
  pendingLen: number;
  pendingRecords: number;
  /** The writer loop's handle. */
  fh: FileHandle | undefined;
  /** Records at its end lost to a failed write (counted as `io_error`, not again as `corrupt`). */
  ioLost: number;
}

/** A frame boundary: byte `offset` of `seg`, where record `index` starts. */
export interface Pos {
  readonly seg: Segment;
  readonly offset: number;
  readonly index: number;
}

/** A segment that exists only in memory so far; its file is created with its first write. */
export function newSegment(seq: number, firstIndex: number): Segment {
  return {
    seq,
    firstIndex,
    endIndex: firstIndex,
    size: SEGMENT_HEADER_BYTES,
    written: 0,
    synced: 0,
    bad: false,
    gone: false,
    pending: EMPTY,
    pendingLen: 0,
    pendingRecords: 0,
    fh: undefined,
    ioLost: 0,
  };
}

/**
 * A segment found at open. The last one's durability is unknown (the previous process may have died
 * before syncing it), so it is synced again before anything relies on it.
 */
export function fromDisk(f: FoundSegment, last: boolean): Segment {
  return {
    ...newSegment(f.seq, f.firstIndex),
    endIndex: f.endIndex,
    size: f.size,
    written: f.size,
    synced: last ? Math.min(f.size, SEGMENT_HEADER_BYTES) : f.size,
    bad: f.bad,
  };
}

/** The position of the first frame of `seg`. */
export function startOf(seg: Segment): Pos {
  return { seg, offset: SEGMENT_HEADER_BYTES, index: seg.firstIndex };
}

/** The segments of a queue, its acknowledgement cursor, and the files waiting to be deleted. */
export class QueueState {
  /** Sum of `size` over `segments`: what `maxBytes` bounds. */
  bytes = 0;
  /** The cursor moved since it was last written. */
  cursorDirty = true;
  /** Segments taken out of the queue whose files the writer loop deletes once the cursor is durable. */
  doomed: Segment[] = [];

  constructor(
    /** Segments from the cursor's on, ascending; the last is appended to. Never empty. */
    readonly segments: Segment[],
    /** Everything before it is acknowledged. Its segment is `segments[0]`. */
    public cursor: Pos,
  ) {
    for (const s of segments) this.bytes += s.size;
  }

  /** The segment appended to. */
  get current(): Segment {
    return this.segments.at(-1)!;
  }

  /** The segment after `seg` in the queue, if any. */
  after(seg: Segment): Segment | undefined {
    const i = this.segments.indexOf(seg);
    return i < 0 ? undefined : this.segments[i + 1];
  }

  /** Takes the first segment out of the queue (forgetting its buffered frames); returns it. */
  removeFirst(): Segment {
    const seg = this.segments.shift()!;
    this.bytes -= seg.size;
    seg.gone = true;
    seg.pending = EMPTY;
    seg.pendingLen = 0;
    seg.pendingRecords = 0;
    this.doomed.push(seg);
    return seg;
  }
}
