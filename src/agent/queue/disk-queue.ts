import { type FileHandle, open } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { readFully } from "./durable-files.js";
import { DROP_REASONS, type DropReason, QueueError } from "./errors.js";
import {
  FRAME_HEADER_BYTES,
  frameAppendedAt,
  MAX_PAYLOAD_BYTES,
  SEGMENT_HEADER_BYTES,
  segmentName,
  writeFrame,
} from "./format.js";
import { FrameReader } from "./frame-reader.js";
import { fromDisk, newSegment, type Pos, QueueState, type Segment, startOf } from "./queue-state.js";
import { type CursorState, recover, type TornTail } from "./recover.js";
import { type SyncMode, WriterLoop } from "./writer-loop.js";

/** Default bound on the bytes of all segments: 1 GiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** Default segment size cap: 16 MiB (or an eighth of `maxBytes` if that is smaller). */
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
/** The smallest segment size cap accepted (tests use tiny segments). */
export const MIN_SEGMENT_BYTES = 64;
/** Default period of the group fsync and of cursor writes, ms. */
export const DEFAULT_SYNC_INTERVAL_MS = 1000;

const PENDING_INITIAL = 64 * 1024;

/** Options of {@link DiskQueue.open}. */
export interface DiskQueueOptions {
  /** Bound on the bytes of all segments, buffered frames included; default 1 GiB. */
  maxBytes?: number;
  /** Start a new segment when the next frame would pass this; default min(16 MiB, maxBytes / 8). */
  segmentBytes?: number;
  /** Default `"interval"`. */
  syncMode?: SyncMode;
  /** Period of the `"interval"` fsync and of cursor writes (all modes), ms; default 1000. */
  syncIntervalMs?: number;
  /**
   * Told of every loss when it is counted: `records` and `bytes` (frames, headers included) that
   * will never be read. Called synchronously from `open`, `append`, `read` or the writer loop; must
   * not throw.
   */
  onDrop?: (reason: DropReason, records: number, bytes: number) => void;
  /** The clock stamped into each record as `appendedAt`, Unix ms; default `Date.now`. */
  now?: () => number;
}

/** A batch handed out by {@link DiskQueue.read}; acknowledge it with its `token`. */
export interface QueueBatch {
  /** The payloads, in append order; copies the caller owns, unless read `transient`. */
  readonly records: Uint8Array[];
  /** `appendedAt` of each record, Unix ms. */
  readonly appendedAt: Float64Array;
  /** Record index of `records[0]`; the others follow without gaps. */
  readonly firstIndex: number;
  /** Sum of the payload lengths. */
  readonly bytes: number;
  /** Pass to {@link DiskQueue.ack} once the batch is delivered. */
  readonly token: number;
}

/** How {@link DiskQueue.read} reads. */
export interface ReadOptions {
  /** Resolves undefined when aborted. */
  signal?: AbortSignal;
  /** False: resolve undefined instead of waiting when nothing is left. */
  wait?: boolean;
  /** The records are views into a buffer the queue reuses, valid until the next read. */
  transient?: boolean;
}

/** Counts of losses for one {@link DropReason}. */
export interface DropCount {
  records: number;
  bytes: number;
}

/** Figures for self-metrics; counters are since open. */
export interface QueueStats {
  /** Bytes of all segments, buffered frames included (what `maxBytes` bounds). */
  readonly bytes: number;
  readonly segments: number;
  /** Records appended and not yet acknowledged, those in flight included. */
  readonly pendingRecords: number;
  /** Batches read and not yet acknowledged. */
  readonly inFlightBatches: number;
  readonly appendedRecords: number;
  /** Payload bytes appended. */
  readonly appendedBytes: number;
  readonly readRecords: number;
  /** `fdatasync` calls on segment data. */
  readonly syncs: number;
  readonly dropped: Readonly<Record<DropReason, DropCount>>;
}

/** What {@link DiskQueue.open} found and repaired. */
export interface OpenReport {
  readonly cursor: CursorState;
  /** Ends of the last segment cut off (normally none; one after a crash that tore a write). */
  readonly tornTails: readonly TornTail[];
  /** Records pending at open: to be delivered (again). */
  readonly pendingRecords: number;
}

/** A batch handed out (or a skipped region, born acknowledged), in read order. */
interface InFlight {
  readonly token: number;
  readonly end: Pos;
  /** `appendedAt` of its first record; undefined for a skipped region. */
  readonly firstAppendedAt: number | undefined;
  acked: boolean;
}

/** Tokens are unique in the process, so one from a closed queue is never taken for a new batch. */
let nextToken = 1;

/**
 * A disk-backed FIFO of opaque records between collection and sending (docs/format/agent-queue.md).
 * `append` buffers and returns at once; a writer loop writes to segment files; `sync()` makes what
 * was appended durable. `read` hands out batches in append order, several may be in flight, `ack`
 * them in any order: the persisted cursor only covers the contiguous acknowledged prefix, and after
 * a restart everything past it is delivered again (at least once). Bounded by `maxBytes`: the
 * oldest segments are dropped and counted. One queue per directory, in one process.
 */
export class DiskQueue {
  /** Largest payload `append` accepts, bytes. */
  readonly maxPayloadBytes: number;

  readonly #onDrop: ((reason: DropReason, records: number, bytes: number) => void) | undefined;
  readonly #now: () => number;
  readonly #state: QueueState;
  readonly #loop: WriterLoop;
  readonly #timer: NodeJS.Timeout;
  /** The reader's position: the next record to hand out. Never before the cursor. */
  #rpos: Pos;
  #inflight: InFlight[] = [];
  #byToken = new Map<number, InFlight>();
  #frames = new FrameReader();
  /** Where the records of a transient read are (see {@link DiskQueue.read}). */
  #transient = new Uint8Array(0);
  #rfh: FileHandle | undefined;
  #rfhSeg: Segment | undefined;
  #readChain: Promise<void> = Promise.resolve();
  #dataWaiters: (() => void)[] = [];
  /** Damage skipped and not yet reported (reported on entering the next good segment). */
  #lost: DropCount = { records: 0, bytes: 0 };
  #closed = false;
  #stats = { appendedRecords: 0, appendedBytes: 0, readRecords: 0 };
  #dropped: Record<DropReason, DropCount>;

  private constructor(
    /** The queue directory. */
    readonly dir: string,
    /** Bound on the bytes of all segments. */
    readonly maxBytes: number,
    /** Segment size cap, bytes. */
    readonly segmentBytes: number,
    readonly syncMode: SyncMode,
    /** Period of the `"interval"` sync and of cursor writes, ms. */
    readonly syncIntervalMs: number,
    /** What open found and repaired. */
    readonly openReport: OpenReport,
    opts: DiskQueueOptions,
    state: QueueState,
    dropped: Record<DropReason, DropCount>,
  ) {
    this.maxPayloadBytes = Math.min(
      MAX_PAYLOAD_BYTES,
      segmentBytes - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES,
    );
    this.#onDrop = opts.onDrop;
    this.#now = opts.now ?? Date.now;
    this.#state = state;
    this.#rpos = state.cursor;
    this.#dropped = dropped;
    this.#loop = new WriterLoop(dir, syncMode, state, {
      onWritten: () => this.#wakeReaders(),
      onLost: (records, bytes) => this.#countDrop("io_error", records, bytes),
    });
    this.#timer = setInterval(() => this.#loop.tick(), syncIntervalMs);
    this.#timer.unref();
  }

  /**
   * Opens (creating if needed) the queue in `dir`: recovers it (docs/format/agent-queue.md, "Open"),
   * reporting a torn tail to `onDrop` as `torn_tail`. Throws {@link QueueError} `queue_invalid` for
   * options that cannot work.
   */
  static async open(queueDir: string, opts: DiskQueueOptions = {}): Promise<DiskQueue> {
    const dir = resolvePath(queueDir);
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const segmentBytes = opts.segmentBytes ?? Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(maxBytes / 8));
    const syncMode = opts.syncMode ?? "interval";
    const syncIntervalMs = opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES) {
      throw new QueueError(
        "queue_invalid",
        `queue segmentBytes ${segmentBytes} is invalid: use a whole number of bytes ≥ ${MIN_SEGMENT_BYTES}`,
      );
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 2 * segmentBytes) {
      throw new QueueError(
        "queue_invalid",
        `queue maxBytes ${maxBytes} is invalid: it must be at least twice segmentBytes (${segmentBytes}); ` +
          "raise maxBytes or lower segmentBytes",
      );
    }
    if (!(syncIntervalMs > 0) || !Number.isFinite(syncIntervalMs)) {
      throw new QueueError(
        "queue_invalid",
        `queue syncIntervalMs ${syncIntervalMs} is invalid: use a number of milliseconds > 0`,
      );
    }
    const rec = await recover(dir, syncMode !== "never");
    const segments = rec.segments.map((f, i) => fromDisk(f, i === rec.segments.length - 1));
    if (segments.length === 0) segments.push(newSegment(rec.freshSeq, rec.cursor.index));
    const state = new QueueState(segments, {
      seg: segments[0]!,
      offset: rec.cursor.offset,
      index: rec.cursor.index,
    });
    const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, { records: 0, bytes: 0 }])) as Record<
      DropReason,
      DropCount
    >;
    for (const t of rec.tornTails) {
      dropped.torn_tail.bytes += t.droppedBytes;
      opts.onDrop?.("torn_tail", 0, t.droppedBytes);
    }
    const report = { cursor: rec.cursorState, tornTails: rec.tornTails, pendingRecords: pendingOf(state) };
    return new DiskQueue(dir, maxBytes, segmentBytes, syncMode, syncIntervalMs, report, opts, state, dropped);
  }

  /**
   * Appends one record and returns its record index. The payload (1 byte to
   * {@link maxPayloadBytes}) is copied before `append` returns. Never blocks: it is written on the
   * next turn of the event loop, and is durable once a later {@link sync} resolved. May drop the
   * oldest segments to stay within `maxBytes` (reported to `onDrop`). Throws {@link QueueError}:
   * `queue_bad_record`, `queue_closed`, `queue_failed`.
   */
  append(payload: Uint8Array): number {
    this.#checkOpen();
    const n = payload.length;
    if (n === 0 || n > this.maxPayloadBytes) {
      throw new QueueError(
        "queue_bad_record",
        `queue record of ${n} bytes refused: a record holds 1 to ${this.maxPayloadBytes} bytes ` +
          "(segmentBytes − 36); split larger batches or raise segmentBytes",
      );
    }
    const state = this.#state;
    const frame = FRAME_HEADER_BYTES + n;
    let cur = state.current;
    if (cur.size > SEGMENT_HEADER_BYTES && cur.size + frame > this.segmentBytes) cur = this.#cut();
    while (state.bytes + frame > this.maxBytes && state.segments[0] !== cur) this.#dropOldest();
    const need = cur.pendingLen + frame;
    if (need > cur.pending.length) {
      let cap = Math.max(PENDING_INITIAL, cur.pending.length * 2);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(cur.pending.subarray(0, cur.pendingLen));
      cur.pending = next;
    }
    cur.pendingLen = writeFrame(cur.pending, cur.pendingLen, payload, this.#now());
    cur.pendingRecords++;
    cur.size += frame;
    state.bytes += frame;
    this.#stats.appendedRecords++;
    this.#stats.appendedBytes += n;
    this.#loop.schedule();
    return cur.endIndex++;
  }

  /**
   * Resolves once every record appended before the call is written and (unless `syncMode` is
   * `"never"`) `fdatasync`ed — the acknowledgement a producer may hand on. Rejects with
   * {@link QueueError} `queue_failed` if a write or sync failed, `queue_closed` after close.
   */
  sync(): Promise<void> {
    if (this.#closed && this.#loop.failure === undefined) return Promise.reject(closedError(this.dir));
    return this.#loop.durable();
  }

  /**
   * The next batch in append order: 1 to `maxRecords` records from one segment, their payloads
   * summing to at most `maxBytes` (unless a single record is larger). Waits for an append when
   * nothing is left, unless `opts.wait` is false; resolves undefined then, on `opts.signal`'s abort
   * and after {@link close}. Calls are served one at a time, in call order. A damaged region met on
   * the way is skipped and reported to `onDrop` as `corrupt`.
   *
   * The records are the caller's to keep, unless `opts.transient` is set: then they are views into
   * one buffer the queue reuses, valid until the next `read` — for a reader that copies what it
   * needs at once, which then allocates nothing per record.
   */
  read(maxRecords = 1000, maxBytes = 1024 * 1024, opts: ReadOptions = {}): Promise<QueueBatch | undefined> {
    const run = this.#readChain.then(() => this.#read(Math.max(1, maxRecords), maxBytes, opts));
    this.#readChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Marks the batch of `token` delivered. The cursor moves past it once every batch read before it
   * is acknowledged too; segments it moves past are deleted. Returns false for a token the queue
   * does not know (already acknowledged, from a dropped segment, from another queue or after close).
   */
  ack(token: number): boolean {
    const e = this.#byToken.get(token);
    if (e === undefined || this.#closed) return false;
    this.#byToken.delete(token);
    e.acked = true;
    this.#advanceCursor();
    return true;
  }

  /** Figures for self-metrics (docs/format/agent-queue.md, "Self-metrics"). */
  get stats(): QueueStats {
    const dropped = {} as Record<DropReason, DropCount>;
    for (const r of DROP_REASONS) dropped[r] = { ...this.#dropped[r] };
    return {
      bytes: this.#state.bytes,
      segments: this.#state.segments.length,
      pendingRecords: pendingOf(this.#state),
      inFlightBatches: this.#byToken.size,
      ...this.#stats,
      syncs: this.#loop.syncs,
      dropped,
    };
  }

  /**
   * `appendedAt` (Unix ms) of the oldest record not yet acknowledged, or undefined when none is
   * pending. May wait for the writer loop and read 16 bytes of a segment.
   */
  async oldestPendingAppendedAt(): Promise<number | undefined> {
    for (const e of this.#inflight) if (!e.acked && e.firstAppendedAt !== undefined) return e.firstAppendedAt;
    // Nothing in flight: the oldest pending record is the next one to read.
    let pos = this.#rpos;
    while (pos.offset >= pos.seg.size || pos.seg.bad) {
      const next = this.#state.after(pos.seg);
      if (next === undefined) return undefined;
      pos = startOf(next);
    }
    if (pos.offset >= pos.seg.written) await this.#loop.whenIdle();
    if (pos.seg.gone || pos.offset + FRAME_HEADER_BYTES > pos.seg.written) return undefined;
    const fh = await open(join(this.dir, segmentName(pos.seg.seq)), "r");
    try {
      const head = new Uint8Array(FRAME_HEADER_BYTES);
      const got = await readFully(fh, head, 0, FRAME_HEADER_BYTES, pos.offset);
      return got === FRAME_HEADER_BYTES ? frameAppendedAt(head, 0) : undefined;
    } finally {
      await fh.close();
    }
  }

  /**
   * Writes what is buffered, syncs it (unless `"never"`), writes the cursor and closes the files.
   * Pending reads resolve undefined; later appends and syncs fail with `queue_closed`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#wakeReaders();
    await this.#readChain;
    await this.#loop.shutdown(closedError(this.dir));
    await this.#rfh?.close();
    this.#rfh = undefined;
  }

  #checkOpen(): void {
    if (this.#loop.failure !== undefined) throw this.#loop.failure;
    if (this.#closed) throw closedError(this.dir);
  }

  /** Closes the current segment (the writer loop writes, syncs and closes it) and starts the next. */
  #cut(): Segment {
    const state = this.#state;
    const old = state.current;
    const next = newSegment(old.seq + 1, old.endIndex);
    state.segments.push(next);
    state.bytes += next.size;
    this.#loop.schedule();
    this.#wakeReaders();
    return next;
  }

  /** Drops the oldest segment (never the current one) to make room, counting what was not read. */
  #dropOldest(): void {
    const state = this.#state;
    const seg = state.removeFirst();
    this.#loop.schedule();
    let records = 0;
    let bytes = 0;
    const start = startOf(state.segments[0]!);
    if (this.#rpos.seg === seg) {
      records = Math.max(0, seg.endIndex - this.#rpos.index);
      bytes = Math.max(0, seg.size - this.#rpos.offset);
      this.#rpos = start;
      this.#wakeReaders();
    }
    state.cursor = start;
    state.cursorDirty = true;
    // Batches handed out from it stay with the sender; their tokens are forgotten.
    this.#inflight = this.#inflight.filter((e) => {
      if (e.end.seg !== seg) return true;
      this.#byToken.delete(e.token);
      return false;
    });
    this.#advanceCursor();
    if (records > 0 || bytes > 0) this.#countDrop("max_bytes", records, bytes);
  }

  #countDrop(reason: DropReason, records: number, bytes: number): void {
    const d = this.#dropped[reason];
    d.records += records;
    d.bytes += bytes;
    this.#onDrop?.(reason, records, bytes);
  }

  /** Moves the cursor over the acknowledged batches at the front; takes out segments it passes. */
  #advanceCursor(): void {
    const state = this.#state;
    let moved = false;
    while (this.#inflight[0]?.acked) {
      const e = this.#inflight.shift()!;
      const c = state.cursor;
      if (e.end.seg.seq > c.seg.seq || (e.end.seg === c.seg && e.end.offset > c.offset)) {
        state.cursor = e.end;
        moved = true;
      }
    }
    if (!moved) return;
    state.cursorDirty = true;
    for (;;) {
      const c = state.cursor;
      while (state.segments[0] !== c.seg) {
        state.removeFirst();
        this.#loop.schedule();
      }
      if (c.seg === state.current || c.offset < c.seg.size) break;
      state.cursor = startOf(state.segments[1]!);
    }
    // The reader was at the end of a segment now acknowledged through: it is where the cursor is.
    if (this.#rpos.seg.gone) this.#rpos = state.cursor;
  }

  async #read(maxRecords: number, maxBytes: number, opts: ReadOptions): Promise<QueueBatch | undefined> {
    for (;;) {
      if (this.#closed || opts.signal?.aborted) return undefined;
      const pos = this.#rpos;
      const seg = pos.seg;
      const current = seg === this.#state.current;
      if (seg.bad) {
        this.#skipRest(pos);
      } else if (pos.offset < seg.written) {
        const batch = await this.#readFrames(pos, maxRecords, maxBytes, opts.transient === true);
        if (batch !== undefined) return batch;
      } else if (!current && pos.offset >= seg.size) {
        this.#enterNext(pos);
      } else if (opts.wait === false && current && pos.offset >= seg.size) {
        return undefined;
      } else {
        await this.#waitForData(opts.signal);
      }
    }
  }

  /** Reads one batch at `pos` (below `written`); undefined if it skipped damage or `pos` went stale. */
  async #readFrames(
    pos: Pos,
    maxRecords: number,
    maxBytes: number,
    transient: boolean,
  ): Promise<QueueBatch | undefined> {
    const seg = pos.seg;
    const stale = () => this.#rpos !== pos || this.#closed;
    if (this.#rfhSeg !== seg) {
      await this.#rfh?.close();
      this.#rfh = undefined;
      this.#rfhSeg = undefined;
      if (stale()) return undefined;
      const fh = await open(join(this.dir, segmentName(seg.seq)), "r");
      if (stale()) {
        await fh.close();
        return undefined;
      }
      this.#rfh = fh;
      this.#rfhSeg = seg;
    }
    const fr = this.#frames;
    fr.reset(this.#rfh!, pos.offset, seg.written);
    const records: Uint8Array[] = [];
    const times: number[] = [];
    let bytes = 0;
    let end = pos.offset;
    while (records.length < maxRecords) {
      const ok = await fr.next();
      if (stale()) return undefined;
      if (!ok) break;
      const n = fr.payload.length;
      if (records.length > 0 && bytes + n > maxBytes) break;
      if (transient) {
        if (bytes + n > this.#transient.length) {
          // Views already made keep the old buffer; the batch so far moves to the new one.
          const next = new Uint8Array(Math.max(bytes + n, maxBytes));
          next.set(this.#transient.subarray(0, bytes));
          for (let k = 0, at = 0; k < records.length; k++) {
            const len = records[k]!.length;
            records[k] = next.subarray(at, at + len);
            at += len;
          }
          this.#transient = next;
        }
        this.#transient.set(fr.payload, bytes);
        records.push(this.#transient.subarray(bytes, bytes + n));
      } else records.push(fr.payload.slice());
      times.push(fr.appendedAt);
      bytes += fr.payload.length;
      end = fr.offset + FRAME_HEADER_BYTES + fr.payload.length;
    }
    if (records.length === 0) {
      if (fr.bad !== undefined) this.#skipRest({ seg, offset: fr.bad.offset, index: pos.index });
      return undefined;
    }
    const endPos: Pos = { seg, offset: end, index: pos.index + records.length };
    this.#rpos = endPos;
    this.#stats.readRecords += records.length;
    const token = nextToken++;
    const e: InFlight = { token, end: endPos, firstAppendedAt: times[0], acked: false };
    this.#inflight.push(e);
    this.#byToken.set(token, e);
    return { records, appendedAt: Float64Array.from(times), firstIndex: pos.index, bytes, token };
  }

  /** Gives up on `pos.seg` from `pos` on (damage); the loss is counted on entering the next segment. */
  #skipRest(pos: Pos): void {
    const seg = pos.seg;
    if (seg === this.#state.current) this.#cut();
    this.#lost.bytes += seg.bad ? seg.size : Math.max(0, seg.size - pos.offset);
    this.#enterNext(pos);
  }

  /**
   * Moves the reader from `pos` to the start of the segment after `pos.seg`. Records between
   * `pos.index` and that segment's first index are lost; the skipped span is acknowledged at once
   * (an in-flight entry born acked) so the cursor passes it and a restart does not meet it again.
   */
  #enterNext(pos: Pos): void {
    const next = this.#state.after(pos.seg)!;
    // Records a failed write lost were counted as `io_error` already.
    this.#lost.records += Math.max(0, next.firstIndex - pos.index - pos.seg.ioLost);
    if (!next.bad && (this.#lost.records > 0 || this.#lost.bytes > 0)) {
      const { records, bytes } = this.#lost;
      this.#lost = { records: 0, bytes: 0 };
      this.#countDrop("corrupt", records, bytes);
    }
    const start = startOf(next);
    this.#rpos = start;
    this.#inflight.push({ token: 0, end: start, firstAppendedAt: undefined, acked: true });
    this.#advanceCursor();
  }

  #waitForData(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      signal?.addEventListener("abort", done, { once: true });
      this.#dataWaiters.push(done);
    });
  }

  #wakeReaders(): void {
    const ws = this.#dataWaiters;
    this.#dataWaiters = [];
    for (const w of ws) w();
  }
}

/** Records appended and not yet acknowledged. */
function pendingOf(state: QueueState): number {
  let n = 0;
  const c = state.cursor;
  for (const s of state.segments)
    n += Math.max(0, s.endIndex - (s === c.seg ? Math.max(c.index, s.firstIndex) : s.firstIndex));
  return n;
}

function closedError(dir: string): QueueError {
  return new QueueError("queue_closed", `disk queue ${dir} is closed; open it again`);
}
