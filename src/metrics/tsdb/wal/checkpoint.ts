import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { WALError } from "./errors.js";
import { FRAME_HEADER_BYTES, MAX_RECORD_BYTES, writeFrame } from "./frame.js";
import {
  checkpointName,
  listCheckpoints,
  listSegments,
  SEGMENT_HEADER,
  SEGMENT_HEADER_BYTES,
  type SyncMode,
  segmentName,
  syncDir,
  writeFully,
} from "./segment.js";
import { DEFAULT_SEGMENT_BYTES } from "./wal.js";

const FLUSH_BYTES = 1 << 20;

/**
 * The records of a checkpoint, produced on demand: a SERIES record for every live series and SAMPLES
 * records for samples not yet in a block. Each record is copied before the next is requested, so a
 * generator may reuse one buffer for all of them.
 */
export type CheckpointSource = () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options of {@link writeCheckpoint}. */
export interface CheckpointOptions {
  /** Size cap of the checkpoint's segment files. Default 128 MiB. */
  segmentBytes?: number;
  /** `"never"` skips every sync (tests only). Default `"always"`. */
  syncMode?: SyncMode;
}

/** What {@link writeCheckpoint} wrote and removed. */
export interface CheckpointResult {
  /** Path of the new `checkpoint.NNNNNNNN` directory. */
  dir: string;
  /** The last segment it replaces. */
  through: number;
  /** Records written. */
  records: number;
  /** Frame bytes written. */
  bytes: number;
  /** Numbers of the older checkpoints deleted. */
  deleted: number[];
}

/**
 * Writes `checkpoint.<through>` in `walDir` from `source`, atomically (docs/format/wal.md,
 * "Checkpoints"): into `checkpoint.<through>.tmp/`, every file synced, the directory synced, renamed,
 * the WAL directory synced; then deletes older checkpoints. Afterwards the caller may delete the
 * segments it replaces with `wal.truncate(through + 1)`. `source` must reflect every record of
 * segments ≤ `through`. `through` must be a closed segment (a later one exists: call `wal.cut()`
 * first), and no checkpoint numbered `through` or higher may exist; else {@link WALError} `wal_invalid`.
 * On failure the temporary directory is removed and nothing else changes.
 */
export async function writeCheckpoint(
  walDir: string,
  through: number,
  source: CheckpointSource,
  opts: CheckpointOptions = {},
): Promise<CheckpointResult> {
  const dir = resolvePath(walDir);
  const mode = opts.syncMode ?? "always";
  const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isSafeInteger(through) || through < 1) {
    throw new WALError("wal_invalid", `checkpoint through segment ${through}: use a segment number ≥ 1`);
  }
  if (!(await listSegments(dir)).some((n) => n > through)) {
    throw new WALError(
      "wal_invalid",
      `cannot checkpoint ${dir} through segment ${through}: no later segment exists, so it may still be ` +
        "written; call wal.cut() and checkpoint through the segment before the one it returns",
    );
  }
  const existing = await listCheckpoints(dir);
  const newer = existing.find((n) => n >= through);
  if (newer !== undefined) {
    throw new WALError(
      "wal_invalid",
      `cannot checkpoint ${dir} through segment ${through}: ${checkpointName(newer)} already exists; ` +
        "checkpoint through a later segment",
    );
  }

  const final = join(dir, checkpointName(through));
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const w = new CheckpointWriter(tmp, segmentBytes, mode);
  try {
    for await (const record of source()) await w.add(record);
    await w.finish();
    await syncDir(tmp, mode);
    await rename(tmp, final);
  } catch (err) {
    await w.abandon();
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await syncDir(dir, mode);

  const deleted: number[] = [];
  for (const n of existing) {
    await rm(join(dir, checkpointName(n)), { recursive: true, force: true });
    deleted.push(n);
  }
  if (deleted.length > 0) await syncDir(dir, mode);
  return { dir: final, through, records: w.records, bytes: w.bytes, deleted };
}

/** Writes records into the segment files of a checkpoint directory, cutting at the size cap. */
class CheckpointWriter {
  records = 0;
  bytes = 0;
  #fh: FileHandle | undefined;
  #segment = 0;
  /** Bytes written to the current file. */
  #size = 0;
  #buf = new Uint8Array(FLUSH_BYTES + 64 * 1024);
  #len = 0;

  constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly mode: SyncMode,
  ) {}

  async add(record: Uint8Array): Promise<void> {
    if (record.length === 0 || record.length > MAX_RECORD_BYTES) {
      throw new WALError(
        "wal_bad_record",
        `checkpoint record of ${record.length} bytes refused: a record holds 1 to ${MAX_RECORD_BYTES} bytes`,
      );
    }
    const n = FRAME_HEADER_BYTES + record.length;
    if (this.#fh === undefined) await this.#next();
    const used = this.#size + this.#len;
    if (used > SEGMENT_HEADER_BYTES && used + n > this.segmentBytes) await this.#next();
    if (this.#len + n > this.#buf.length) {
      await this.#flush();
      if (n > this.#buf.length) this.#buf = new Uint8Array(n);
    }
    this.#len = writeFrame(this.#buf, this.#len, record);
    this.records++;
    this.bytes += n;
    if (this.#len >= FLUSH_BYTES) await this.#flush();
  }

  /** Writes and syncs what is left; a checkpoint of no records still gets one (empty) segment. */
  async finish(): Promise<void> {
    if (this.#fh === undefined) await this.#next();
    await this.#close();
  }

  /** Closes the file after a failure, ignoring further errors. */
  async abandon(): Promise<void> {
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
  }

  async #flush(): Promise<void> {
    if (this.#len === 0 || this.#fh === undefined) return;
    await writeFully(this.#fh, this.#buf, 0, this.#len, this.#size);
    this.#size += this.#len;
    this.#len = 0;
  }

  async #close(): Promise<void> {
    if (this.#fh === undefined) return;
    await this.#flush();
    if (this.mode === "always") await this.#fh.datasync();
    await this.#fh.close();
    this.#fh = undefined;
  }

  async #next(): Promise<void> {
    await this.#close();
    this.#segment++;
    this.#fh = await open(join(this.dir, segmentName(this.#segment)), "wx");
    await writeFully(this.#fh, SEGMENT_HEADER, 0, SEGMENT_HEADER_BYTES, 0);
    this.#size = SEGMENT_HEADER_BYTES;
  }
}
