import { type FileHandle, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { createSegmentFile, replaceFile, writeFully } from "./durable-files.js";
import { QueueError } from "./errors.js";
import { CURSOR_FILE, encodeCursor, SEGMENT_HEADER_BYTES, segmentName } from "./format.js";
import { EMPTY, type QueueState, type Segment } from "./queue-state.js";

/**
 * When segment data is `fdatasync`ed (docs/format/agent-queue.md, "When what is synced"):
 * `"always"` after every write of the writer loop, `"interval"` every `syncIntervalMs`, `"never"`
 * not at all (tests and benchmarks). `sync()` forces one in the first two.
 */
export type SyncMode = "always" | "interval" | "never";

const PENDING_INITIAL = 64 * 1024;
const PENDING_KEEP = 4 * 1024 * 1024;

/** What the writer loop tells the queue. */
export interface WriterLoopHooks {
  /** Frames became readable (a write finished), or segments shrank after a failure. */
  readonly onWritten: () => void;
  /** A failed write or sync lost `records` buffered records of `bytes` frame bytes. */
  readonly onLost: (records: number, bytes: number) => void;
}

interface SyncWaiter {
  readonly seg: Segment;
  readonly size: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The queue's only writer of files. Started on `setImmediate` when there is work, it runs passes
 * until none is left; each pass writes every segment's buffered frames (one write per segment),
 * seals (syncs and closes) segments no longer appended to — before the next one's file is created —,
 * syncs the current segment as the mode asks, writes the cursor when due, and deletes the files of
 * segments taken out of the queue once the cursor on disk covers them. After a failed write or sync
 * it does no more I/O (see {@link failure}).
 */
export class WriterLoop {
  /** Set by the first failed write or sync; appends are refused from then on. */
  failure: QueueError | undefined;
  /** `fdatasync` calls on segment data. */
  syncs = 0;

  readonly #sync: boolean;
  #spare: Uint8Array = new Uint8Array(PENDING_INITIAL);
  #syncWaiters: SyncWaiter[] = [];
  #running = false;
  #idleWaiters: (() => void)[] = [];
  /** The periodic sync and cursor write is due (or the final pass of a close). */
  #tickDue = false;
  #final = false;
  /** `schedule()` was called while a pass ran. */
  #again = false;
  #shut = false;
  /** Segments below this number are covered by the cursor on disk. */
  #cursorDurableSeq = 0;
  /** The write in progress, for counting what a failure loses. */
  #writing: { seg: Segment; records: number; bytes: number } | undefined;

  constructor(
    readonly dir: string,
    readonly syncMode: SyncMode,
    private readonly state: QueueState,
    private readonly hooks: WriterLoopHooks,
  ) {
    this.#sync = syncMode !== "never";
    // Without syncs, written is as durable as it gets.
    if (!this.#sync) for (const seg of state.segments) seg.synced = seg.written;
  }

  /** Makes sure a pass runs soon (on `setImmediate`, so appends of one turn share a write). */
  schedule(): void {
    if (this.failure !== undefined || this.#shut) return;
    if (this.#running) {
      // The pass under way may have looked already: make sure another one follows.
      this.#again = true;
      return;
    }
    this.#running = true;
    setImmediate(() => void this.#run());
  }

  /** The periodic timer: sync the current segment (`"interval"`) and write the cursor, if needed. */
  tick(): void {
    const cur = this.state.current;
    if ((this.syncMode === "interval" && cur.written > cur.synced) || this.state.cursorDirty) {
      this.#tickDue = true;
      this.schedule();
    }
  }

  /** Resolves when no pass is running. */
  whenIdle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Resolves once every frame appended so far is written and (unless `"never"`) synced; rejects with
   * the failure if a write or sync failed.
   */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const segs = this.state.segments;
    let target: Segment | undefined;
    for (let i = segs.length - 1; i >= 0 && target === undefined; i--) {
      if (segs[i]!.size > SEGMENT_HEADER_BYTES) target = segs[i];
    }
    if (target === undefined || target.synced >= target.size) return Promise.resolve();
    const seg = target;
    return new Promise<void>((resolve, reject) => {
      this.#syncWaiters.push({ seg, size: seg.size, resolve, reject });
      this.schedule();
    });
  }

  /** A last pass (write, sync, cursor, deletes), then closes the files; no I/O after it. */
  async shutdown(reason: QueueError): Promise<void> {
    this.#final = true;
    this.schedule();
    await this.whenIdle();
    this.#shut = true;
    for (const s of this.state.segments) await closeQuietly(s.fh);
    for (const s of this.state.doomed) await closeQuietly(s.fh);
    for (const w of this.#syncWaiters) w.reject(this.failure ?? reason);
    this.#syncWaiters = [];
  }

  async #run(): Promise<void> {
    try {
      // Each pass handles what accumulated during the previous one.
      for (let did = true; did && this.failure === undefined; ) {
        this.#again = false;
        did = (await this.#pass()) || this.#again;
      }
    } catch (err) {
      this.#fail(err);
    }
    this.#running = false;
    this.#settleSyncs();
    const ws = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of ws) w();
  }

  /** One pass; false when it found nothing to do. */
  async #pass(): Promise<boolean> {
    const state = this.state;
    const tick = this.#tickDue || this.#final;
    this.#tickDue = false;
    let did = false;
    let wrote = false;
    for (const seg of state.segments.slice()) {
      if (seg.gone) continue;
      if (seg.pendingLen > 0) {
        await this.#writePending(seg);
        did = wrote = true;
      }
      const sealed = seg !== state.current && !seg.gone && seg.pendingLen === 0;
      if (sealed && (seg.fh !== undefined || (this.#sync && seg.synced < seg.written))) {
        // Durable before the next segment's file is created, so only the last can have a torn tail.
        await this.#datasync(seg);
        await seg.fh?.close();
        seg.fh = undefined;
        seg.pending = EMPTY;
        did = true;
      }
    }
    const cur = state.current;
    const wanted =
      this.syncMode === "always" ||
      tick ||
      this.#syncWaiters.some((w) => !w.seg.gone && w.seg.synced < w.size);
    if (this.#sync && wanted && cur.written > cur.synced) {
      await this.#datasync(cur);
      did = true;
    }
    if (wrote) this.hooks.onWritten();
    this.#settleSyncs();
    if (state.cursorDirty && (tick || state.doomed.length > 0)) {
      const c = state.cursor;
      state.cursorDirty = false;
      const bytes = encodeCursor({ segment: c.seg.seq, offset: c.offset, index: c.index });
      await replaceFile(this.dir, CURSOR_FILE, bytes, this.#sync);
      this.#cursorDurableSeq = c.seg.seq;
      did = true;
    }
    const covered = state.doomed.filter((s) => s.seq < this.#cursorDurableSeq);
    if (covered.length > 0) {
      state.doomed = state.doomed.filter((s) => s.seq >= this.#cursorDurableSeq);
      for (const s of covered) {
        await closeQuietly(s.fh);
        s.fh = undefined;
        await unlink(join(this.dir, segmentName(s.seq))).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw err;
        });
      }
      did = true;
    }
    return did;
  }

  /** Writes `seg`'s buffered frames at its end, creating the file first if needed. */
  async #writePending(seg: Segment): Promise<void> {
    if (seg.fh === undefined) {
      if (seg.written === 0) {
        seg.fh = await createSegmentFile(this.dir, seg.seq, seg.firstIndex, this.#sync);
        seg.written = SEGMENT_HEADER_BYTES;
        seg.synced = SEGMENT_HEADER_BYTES;
      } else {
        seg.fh = await open(join(this.dir, segmentName(seg.seq)), "r+");
      }
      if (seg.gone) return;
    }
    const buf = seg.pending;
    const len = seg.pendingLen;
    this.#writing = { seg, records: seg.pendingRecords, bytes: len };
    seg.pending = this.#spare;
    this.#spare = EMPTY;
    seg.pendingLen = 0;
    seg.pendingRecords = 0;
    await writeFully(seg.fh, buf, 0, len, seg.written);
    this.#writing = undefined;
    seg.written += len;
    if (!this.#sync) seg.synced = seg.written;
    this.#spare = buf.length > PENDING_KEEP ? new Uint8Array(PENDING_INITIAL) : buf;
  }

  async #datasync(seg: Segment): Promise<void> {
    if (!this.#sync || seg.synced >= seg.written) return;
    const at = seg.written;
    seg.fh ??= await open(join(this.dir, segmentName(seg.seq)), "r+");
    await seg.fh.datasync();
    this.syncs++;
    seg.synced = at;
  }

  #settleSyncs(): void {
    const keep: SyncWaiter[] = [];
    for (const w of this.#syncWaiters) {
      if (w.seg.gone || w.seg.synced >= w.size) w.resolve();
      else if (this.failure !== undefined) w.reject(this.failure);
      else keep.push(w);
    }
    this.#syncWaiters = keep;
  }

  /**
   * After a failed write or sync: no more I/O; what was buffered (and the write in progress) is
   * counted as lost, and the segments shrink to what is in their files so reads go on.
   */
  #fail(err: unknown): void {
    this.failure = new QueueError(
      "queue_failed",
      `disk queue ${this.dir}: a write or sync failed (${String(err)}); what reached the disk is unknown, ` +
        "so the queue refuses further appends: fix the cause (disk full, I/O error) and restart the agent",
      { cause: err },
    );
    let records = 0;
    let bytes = 0;
    for (const s of this.state.segments) {
      const w = this.#writing?.seg === s ? this.#writing : undefined;
      const lost = s.pendingRecords + (w?.records ?? 0);
      records += lost;
      bytes += s.pendingLen + (w?.bytes ?? 0);
      s.ioLost = lost;
      s.endIndex -= lost;
      s.pending = EMPTY;
      s.pendingLen = 0;
      s.pendingRecords = 0;
      const size = Math.max(s.written, SEGMENT_HEADER_BYTES);
      this.state.bytes -= s.size - size;
      s.size = size;
    }
    this.#writing = undefined;
    this.hooks.onWritten();
    if (records > 0) this.hooks.onLost(records, bytes);
  }
}

async function closeQuietly(fh: FileHandle | undefined): Promise<void> {
  try {
    await fh?.close();
  } catch {
    // Best effort: the data was synced (or counted as lost) before.
  }
}
