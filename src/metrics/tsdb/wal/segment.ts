import { type FileHandle, open, readdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Segment files on disk (docs/format/wal.md, "Directory layout" and "Segment file"): their names, the
 * 8-byte header, creation under a temporary name, and directory syncs.
 */

/** The header every segment starts with: magic `MWAL`, version 1, three reserved zero bytes. */
export const SEGMENT_HEADER: Uint8Array = Uint8Array.of(0x4d, 0x57, 0x41, 0x4c, 1, 0, 0, 0);

/** Length of {@link SEGMENT_HEADER}; the first frame starts here. */
export const SEGMENT_HEADER_BYTES = 8;

/** Whether real `fdatasync`/`fsync` calls are made (`"never"` is for tests and benchmarks only). */
export type SyncMode = "always" | "never";

/** The file name of segment `n`: 8 decimal digits, e.g. `00000001`. */
export function segmentName(n: number): string {
  return String(n).padStart(8, "0");
}

/** The segment number of file `name`, or undefined if it is not a segment's name. */
export function parseSegmentName(name: string): number | undefined {
  return /^\d{8,15}$/.test(name) ? Number(name) : undefined;
}

/** The directory name of the checkpoint that covers segments up to `n`: `checkpoint.NNNNNNNN`. */
export function checkpointName(n: number): string {
  return `checkpoint.${segmentName(n)}`;
}

/** The segment number a checkpoint directory covers, or undefined if `name` is not a checkpoint's. */
export function parseCheckpointName(name: string): number | undefined {
  const m = /^checkpoint\.(\d{8,15})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The numbers of the segments in `dir`, ascending; an absent directory has none. */
export async function listSegments(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdirOrEmpty(dir)) {
    const n = parseSegmentName(name);
    if (n !== undefined) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/** The numbers of the complete checkpoints in `dir` (not `.tmp` ones), ascending. */
export async function listCheckpoints(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdirOrEmpty(dir)) {
    const n = parseCheckpointName(name);
    if (n !== undefined) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/** The entries of `dir`, or none when it does not exist. */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** `fsync`s directory `dir`, making the names created, renamed or deleted in it durable. */
export async function syncDir(dir: string, mode: SyncMode): Promise<void> {
  if (mode === "never") return;
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes all of `buf[from, to)` at file offset `pos`, looping over short writes. */
export async function writeFully(
  fh: FileHandle,
  buf: Uint8Array,
  from: number,
  to: number,
  pos: number,
): Promise<void> {
  let off = from;
  let at = pos;
  while (off < to) {
    const { bytesWritten } = await fh.write(buf, off, to - off, at);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten} bytes`);
    off += bytesWritten;
    at += bytesWritten;
  }
}

/**
 * Creates segment `n` in `dir` and returns it open for reading and writing, holding just the header:
 * the header is written to `NNNNNNNN.tmp` and synced, the file renamed into place and the directory
 * synced, so a segment that exists always has a whole header. Fails if the segment exists.
 */
export async function createSegment(dir: string, n: number, mode: SyncMode): Promise<FileHandle> {
  const path = join(dir, segmentName(n));
  const tmp = `${path}.tmp`;
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`WAL segment ${path} already exists; refusing to overwrite it`);
  const fh = await open(tmp, "w+");
  try {
    await writeFully(fh, SEGMENT_HEADER, 0, SEGMENT_HEADER_BYTES, 0);
    if (mode === "always") await fh.datasync();
    await rename(tmp, path);
    await syncDir(dir, mode);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

/**
 * Cuts segment `path` back to `offset` bytes (the start of its torn tail) and fsyncs it. A segment
 * torn inside its header (only possible without syncs) gets a fresh header.
 */
export async function truncateSegment(path: string, offset: number, mode: SyncMode): Promise<void> {
  const fh = await open(path, "r+");
  try {
    if (offset < SEGMENT_HEADER_BYTES) {
      await fh.truncate(0);
      await writeFully(fh, SEGMENT_HEADER, 0, SEGMENT_HEADER_BYTES, 0);
    } else {
      await fh.truncate(offset);
    }
    // fsync, not fdatasync: a shrinking size is metadata, and it must be durable before appends.
    if (mode === "always") await fh.sync();
  } finally {
    await fh.close();
  }
}
