import { type FileHandle, mkdir, open, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { encodeSegmentHeader, SEGMENT_HEADER_BYTES, segmentName } from "./format.js";

/**
 * The queue's file operations that must be durable in a given order (docs/format/agent-queue.md,
 * "When what is synced"). With `sync = false` every `fdatasync`/`fsync` is skipped (tests and
 * benchmarks only).
 */

/** `fsync`s directory `dir`, making the names created, renamed or deleted in it durable. */
export async function syncDir(dir: string, sync: boolean): Promise<void> {
  if (!sync) return;
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates `dir` and any missing parents, syncing the parent of each directory created. */
export async function mkdirDurable(dir: string, sync: boolean): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d), sync);
    if (d === first || dirname(d) === d) break;
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
 * Reads up to `n` bytes at file offset `pos` into `buf[at…]`, looping over short reads; returns how
 * many were read (fewer only at the end of the file).
 */
export async function readFully(
  fh: FileHandle,
  buf: Uint8Array,
  at: number,
  n: number,
  pos: number,
): Promise<number> {
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, at + got, n - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/**
 * Creates segment `seq` (first record index `firstIndex`) in `dir` and returns it open for writing:
 * the header goes to `NAME.tmp`, is synced, the file renamed into place and the directory synced,
 * so a segment that exists always has a whole header. Fails if the segment exists.
 */
export async function createSegmentFile(
  dir: string,
  seq: number,
  firstIndex: number,
  sync: boolean,
): Promise<FileHandle> {
  const path = join(dir, segmentName(seq));
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`queue segment ${path} already exists; refusing to overwrite it`);
  const fh = await open(`${path}.tmp`, "w+");
  try {
    await writeFully(fh, encodeSegmentHeader(firstIndex), 0, SEGMENT_HEADER_BYTES, 0);
    if (sync) await fh.datasync();
    await rename(`${path}.tmp`, path);
    await syncDir(dir, sync);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

/** Replaces `dir/name` with `bytes` atomically: `name.tmp`, `fdatasync`, rename, directory `fsync`. */
export async function replaceFile(
  dir: string,
  name: string,
  bytes: Uint8Array,
  sync: boolean,
): Promise<void> {
  const path = join(dir, name);
  const fh = await open(`${path}.tmp`, "w");
  try {
    await writeFully(fh, bytes, 0, bytes.length, 0);
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(`${path}.tmp`, path);
  await syncDir(dir, sync);
}
