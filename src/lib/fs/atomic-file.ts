import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replaces `path` with `data` so that a crash leaves either the old file or the new one, whole: the
 * data goes to a temporary file beside it ({@link writeTempFile}), is renamed over `path`, and the
 * directory is fsynced. Creates the directory (mode 0700) when missing.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = await writeTempFile(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/**
 * Writes `text` to a fresh temporary file beside `path`, created with `mode` (so a key is never
 * readable by others, not even for a moment) and fsynced; returns its path for the caller to rename.
 */
export async function writeTempFile(path: string, text: string, mode: number): Promise<string> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  // "wx" refuses to follow or reuse an existing file; `mode` applies at creation, before any byte lands.
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    // The umask may have removed bits from `mode` (0644 under umask 077); set it exactly.
    await chmod(tmp, mode);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return tmp;
}

/** Makes the names created or renamed in `dir` durable; best effort where directories cannot be synced. */
export async function syncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    // Some platforms cannot open or fsync a directory; the rename is atomic all the same.
  } finally {
    await fh?.close();
  }
}
