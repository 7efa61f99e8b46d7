import { lstat, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { isUlid } from "./ulid.js";

/**
 * Names and file-system steps of block directories (docs/format/block.md, "Directory layout",
 * "Writing a block atomically", "Deleting a block safely").
 */

/** Suffix of a block being written. */
export const TMP_SUFFIX = ".tmp";
/** Suffix of a block being deleted. */
export const DELETED_SUFFIX = ".deleted";

/** What a name in a tenant directory is to the block layer. */
export type BlockDirKind = "block" | "tmp" | "deleted" | "other";

/** Classifies a directory entry name: `<ULID>`, `<ULID>.tmp`, `<ULID>.deleted`, or something else. */
export function blockDirKind(name: string): BlockDirKind {
  if (isUlid(name)) return "block";
  if (name.endsWith(TMP_SUFFIX) && isUlid(name.slice(0, -TMP_SUFFIX.length))) return "tmp";
  if (name.endsWith(DELETED_SUFFIX) && isUlid(name.slice(0, -DELETED_SUFFIX.length))) return "deleted";
  return "other";
}

/** `fsync`s a directory, so that the entries created, renamed or removed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Step 1 of a deletion: renames `<parentDir>/<ulid>` to `<ulid>.deleted` (replacing a leftover of
 * that name) and fsyncs `parentDir` when `sync`. Returns the new path; remove it with
 * {@link removeDir} once no reader holds the block.
 */
export async function markDeleted(parentDir: string, ulid: string, sync: boolean): Promise<string> {
  const to = join(parentDir, ulid + DELETED_SUFFIX);
  await rm(to, { recursive: true, force: true });
  await rename(join(parentDir, ulid), to);
  if (sync) await fsyncDir(parentDir);
  return to;
}

/** Removes a directory and everything in it; nothing happens when it does not exist. */
export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** The total size in bytes of the regular files under `dir`, recursively. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(path);
    else if (e.isFile()) total += (await lstat(path)).size;
  }
  return total;
}
