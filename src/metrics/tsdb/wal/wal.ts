import { type FileHandle, mkdir, open, readdir, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve as resolvePath } from "node:path";
import { WALError } from "./errors.js";
import { FRAME_HEADER_BYTES, MAX_RECORD_BYTES, writeFrame } from "./frame.js";
import {
  createSegment,
  listCheckpoints,
  listSegments,
  SEGMENT_HEADER_BYTES,
  type SyncMode,
  segmentName,
  syncDir,
  truncateSegment,
  writeFully,
} from "./segment.js";
import { SegmentReader, type TornTail, type VerifiedEnd } from "./segment-reader.js";

/** Default segment size cap: 128 MiB. */
export const DEFAULT_SEGMENT_BYTES = 128 * 1024 * 1024;

/** The smallest segment size cap accepted (tests use tiny segments to exercise cuts). */
export const MIN_SEGMENT_BYTES = 64;

const PENDING_INITIAL = 64 * 1024;
const PENDING_KEEP = 16 * 1024 * 1024;

/** Options of {@link WAL.open}. */
export interface WALOptions {
  /** Cut a segment once the next commit would take it past this many bytes. Default 128 MiB. */
  segmentBytes?: number;
  /** `"always"` (default) syncs as docs/format/wal.md says; `"never"` skips every sync (tests only). */
  syncMode?: SyncMode;
  /**
   * `ReplayReport.verifiedEnd` of the replay just done: if the last segment still has that size,
   * `open` trusts it instead of reading and checksumming it again.
   */
  verifiedEnd?: VerifiedEnd | undefined;
}

/** Counters of a WAL since it was opened. */
export interface WALStats {
  /** `log()` calls resolved. */
  commits: number;
  /** Group commits that wrote bytes: one write (per segment touched) and one fdatasync each. */
  batches: number;
  /** `fdatasync` calls on segment data by group commits (0 with `syncMode: "never"`). */
  syncs: number;
  /** Frame bytes written. */
  bytes: number;
  /** Segments created after open. */
  cuts: number;
}

type Op =
  | { kind: "commit"; start: number; end: number; resolve: () => void; reject: (err: unknown) => void }
  | { kind: "cut"; resolve: (segment: number) => void; reject: (err: unknown) => void };

/**
 * The write-ahead log of a TSDB head (docs/format/wal.md). `log()` resolves once its records are
 * written and `fdatasync`ed; concurrent calls share one write and one sync (group commit). Records
 * reach the file, and their promises resolve, in call order. Open it after {@link replay} has read
 * the directory; one WAL per directory, in one process.
 */
export class WAL {
  #fh: FileHandle;
  #current: number;
  /** Bytes in the current segment that are written (header included). */
  #size: number;
  #segments: number[];
  #pending = new Uint8Array(PENDING_INITIAL);
  #pendingLen = 0;
  #spare = new Uint8Array(PENDING_INITIAL);
  #ops: Op[] = [];
  #running = false;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  #failure: WALError | undefined;
  #stats: WALStats = { commits: 0, batches: 0, syncs: 0, bytes: 0, cuts: 0 };

  private constructor(
    /** The WAL directory. */
    readonly dir: string,
    /** The segment size cap, bytes. */
    readonly segmentBytes: number,
    /** Whether syncs are made. */
    readonly syncMode: SyncMode,
    /** The torn tail `open()` cut off the last segment, if there was one. */
    readonly repairedTail: TornTail | undefined,
    fh: FileHandle,
    current: number,
    size: number,
    segments: number[],
  ) {
    this.#fh = fh;
    this.#current = current;
    this.#size = size;
    this.#segments = segments;
  }

  /**
   * Opens (creating if needed) the WAL in `dir` for appending. Deletes leftover `.tmp` files and
   * directories, checks the last segment frame by frame (unless `opts.verifiedEnd` vouches for it)
   * and cuts off a torn tail (reported in {@link repairedTail}) so new records never land behind
   * garbage, then appends to that segment; a fresh WAL starts at segment 1, or after the newest
   * checkpoint.
   */
  static async open(walDir: string, opts: WALOptions = {}): Promise<WAL> {
    const dir = resolvePath(walDir);
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES) {
      throw new WALError(
        "wal_invalid",
        `WAL segmentBytes ${segmentBytes} is invalid: use a whole number of bytes ≥ ${MIN_SEGMENT_BYTES}`,
      );
    }
    const mode = opts.syncMode ?? "always";
    await mkdirDurable(dir, mode);

    let removed = false;
    for (const name of await readdir(dir)) {
      if (name.endsWith(".tmp")) {
        await rm(join(dir, name), { recursive: true, force: true });
        removed = true;
      }
    }
    if (removed) await syncDir(dir, mode);

    const segments = await listSegments(dir);
    const last = segments.at(-1);
    const checkpoint = (await listCheckpoints(dir)).at(-1) ?? 0;
    if (last === undefined || last <= checkpoint) {
      // Fresh, or every segment is covered by the checkpoint (replay skips those): never append there.
      const first = Math.max(last ?? 0, checkpoint) + 1;
      const fh = await createSegment(dir, first, mode);
      segments.push(first);
      return new WAL(dir, segmentBytes, mode, undefined, fh, first, SEGMENT_HEADER_BYTES, segments);
    }

    const path = join(dir, segmentName(last));
    const verified = opts.verifiedEnd;
    if (verified !== undefined && verified.segment === last && (await stat(path)).size === verified.size) {
      const fh = await open(path, "r+");
      return new WAL(dir, segmentBytes, mode, undefined, fh, last, verified.size, segments);
    }
    const reader = await SegmentReader.open(path);
    let bad: TornTail | undefined;
    try {
      while (await reader.next()) {
        // Only the checks matter here: find where the good frames end.
      }
      if (reader.bad !== undefined) {
        const { offset, reason } = reader.bad;
        bad = { file: path, segment: last, offset, droppedBytes: reader.size - offset, reason };
      }
    } finally {
      await reader.close();
    }
    let size = reader.goodEnd;
    if (bad !== undefined) {
      await truncateSegment(path, bad.offset, mode);
      size = Math.max(bad.offset, SEGMENT_HEADER_BYTES);
    }
    const fh = await open(path, "r+");
    return new WAL(dir, segmentBytes, mode, bad, fh, last, size, segments);
  }

  /** Counters since open (a copy). */
  get stats(): WALStats {
    return { ...this.#stats };
  }

  /** The number of the segment being written. */
  get currentSegment(): number {
    return this.#current;
  }

  /** The numbers of the segments on disk, ascending; the last is {@link currentSegment}. */
  segments(): number[] {
    return [...this.#segments];
  }

  /**
   * Appends `records` (each a whole encoded record, type byte first, 1 byte to 256 MiB) and resolves
   * once they are durable. The records are copied before `log` returns, so the caller may reuse its
   * buffers at once. They are written contiguously, never split across segments, after the records
   * of every earlier call. `log([])` resolves once everything logged before it is durable. Rejects
   * with {@link WALError}: `wal_bad_record`, `wal_closed`, or `wal_failed` after any write or sync
   * failed (then every later call fails too: restart and replay).
   */
  log(records: readonly Uint8Array[]): Promise<void> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    let bytes = 0;
    for (const r of records) {
      if (r.length === 0 || r.length > MAX_RECORD_BYTES) {
        return Promise.reject(
          new WALError(
            "wal_bad_record",
            `WAL record of ${r.length} bytes refused: a record holds 1 to ${MAX_RECORD_BYTES} bytes; split larger batches`,
          ),
        );
      }
      bytes += FRAME_HEADER_BYTES + r.length;
    }
    const start = this.#pendingLen;
    this.#reservePending(bytes);
    let p = start;
    for (const r of records) p = writeFrame(this.#pending, p, r);
    this.#pendingLen = p;
    return new Promise<void>((resolve, reject) => {
      this.#ops.push({ kind: "commit", start, end: p, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Closes the current segment once everything logged before is durable, starts the next one, and
   * resolves with its number. Segments below it may then be checkpointed.
   */
  cut(): Promise<number> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise<number>((resolve, reject) => {
      this.#ops.push({ kind: "cut", resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Deletes the segments numbered below `before`, lowest first, then syncs the directory. Call it
   * only after a checkpoint covering them is written. `before` may be at most {@link currentSegment}:
   * the segment being written is never deleted.
   */
  async truncate(before: number): Promise<void> {
    if (this.#closed)
      throw new WALError("wal_closed", `WAL ${this.dir} is closed; open it again to truncate`);
    if (!Number.isSafeInteger(before) || before > this.#current) {
      throw new WALError(
        "wal_invalid",
        `cannot truncate WAL ${this.dir} before segment ${before}: segment ${this.#current} is being written; ` +
          "cut() first and truncate before the segment it returns",
      );
    }
    let deleted = false;
    while (this.#segments.length > 0 && this.#segments[0]! < before) {
      const n = this.#segments[0]!;
      try {
        await unlink(join(this.dir, segmentName(n)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
      this.#segments.shift();
      deleted = true;
    }
    if (deleted) await syncDir(this.dir, this.syncMode);
  }

  /**
   * Waits for every `log()` and `cut()` already called, then closes the file. Later calls reject
   * with `wal_closed`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#running) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await this.#fh.close();
  }

  #refusal(): WALError | undefined {
    if (this.#failure !== undefined) return this.#failure;
    if (this.#closed)
      return new WALError("wal_closed", `WAL ${this.dir} is closed; nothing more can be logged`);
    return undefined;
  }

  #reservePending(n: number): void {
    const need = this.#pendingLen + n;
    if (need <= this.#pending.length) return;
    let cap = this.#pending.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#pending.subarray(0, this.#pendingLen));
    this.#pending = next;
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = true;
    // setImmediate rather than a microtask: commits arriving in the same turn of the event loop
    // (e.g. several requests read in one poll phase) share the first sync too.
    setImmediate(() => void this.#run());
  }

  /** The writer loop: one batch at a time, each made of everything queued meanwhile. */
  async #run(): Promise<void> {
    while (this.#ops.length > 0) {
      const ops = this.#ops;
      const buf = this.#pending;
      this.#ops = [];
      this.#pending = this.#spare;
      this.#pendingLen = 0;
      await this.#batch(ops, buf);
      // The batch's buffer becomes the spare; a huge one is not kept.
      this.#spare = buf.length > PENDING_KEEP ? new Uint8Array(PENDING_INITIAL) : buf;
    }
    this.#running = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Writes one batch. Never throws: a failure rejects the batch and every later call. */
  async #batch(ops: Op[], buf: Uint8Array): Promise<void> {
    let runFrom = -1;
    let runTo = -1;
    let unsynced = false;
    let waiting: Op[] = [];
    const flush = async (): Promise<void> => {
      if (runFrom < 0) return;
      await writeFully(this.#fh, buf, runFrom, runTo, this.#size);
      this.#size += runTo - runFrom;
      this.#stats.bytes += runTo - runFrom;
      this.#stats.batches++;
      runFrom = -1;
      unsynced = true;
    };
    const syncAndSettle = async (): Promise<void> => {
      await flush();
      if (unsynced && this.syncMode === "always") {
        await this.#fh.datasync();
        this.#stats.syncs++;
      }
      unsynced = false;
      for (const op of waiting) {
        if (op.kind === "commit") {
          this.#stats.commits++;
          op.resolve();
        }
      }
      waiting = [];
    };

    let i = 0;
    try {
      for (; i < ops.length; i++) {
        const op = ops[i]!;
        if (op.kind === "cut") {
          await syncAndSettle();
          op.resolve(await this.#cutSegment());
          continue;
        }
        const n = op.end - op.start;
        if (n > 0) {
          const used = this.#size + (runFrom < 0 ? 0 : runTo - runFrom);
          if (used > SEGMENT_HEADER_BYTES && used + n > this.segmentBytes) {
            await syncAndSettle();
            await this.#cutSegment();
          }
          if (runFrom < 0) runFrom = op.start;
          runTo = op.end;
        }
        waiting.push(op);
      }
      await syncAndSettle();
    } catch (err) {
      const failure = new WALError(
        "wal_failed",
        `WAL write or sync in ${join(this.dir, segmentName(this.#current))} failed (${String(err)}); ` +
          "what reached the disk is unknown, so the WAL refuses further writes: fix the cause (disk full, " +
          "I/O error) and restart, which replays the WAL",
        { cause: err },
      );
      this.#failure = failure;
      for (const op of waiting) op.reject(failure);
      for (const op of ops.slice(i)) op.reject(failure);
      const queued = this.#ops;
      this.#ops = [];
      for (const op of queued) op.reject(failure);
    }
  }

  /** Starts the next segment; the current one must be synced already. */
  async #cutSegment(): Promise<number> {
    const next = this.#current + 1;
    const fh = await createSegment(this.dir, next, this.syncMode);
    const old = this.#fh;
    this.#fh = fh;
    this.#current = next;
    this.#size = SEGMENT_HEADER_BYTES;
    this.#segments.push(next);
    this.#stats.cuts++;
    await old.close();
    return next;
  }
}

/** Creates `dir` and any missing parents, syncing the parent of each created directory. */
async function mkdirDurable(dir: string, mode: SyncMode): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d), mode);
    if (d === first || dirname(d) === d) break;
  }
}
