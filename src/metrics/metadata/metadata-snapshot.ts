import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * The on-disk form of one tenant's metric metadata: `<dir>/<tenant, URI-encoded>.json` holding
 * `{"version":1,"families":[[family, type, help, unit], …]}`, least recently updated family first.
 * Families are an array, not an object, so that their order survives (a JSON object would put
 * integer-like names first).
 */

/** One family in a snapshot: `[family, type, help, unit]`. */
export type SnapshotEntry = [family: string, type: string, help: string, unit: string];

const SUFFIX = ".json";
const VERSION = 1;

/**
 * Replaces `tenant`'s snapshot atomically: written to `<name>.tmp`, `fdatasync`'d, renamed over the
 * old one, and the directory `fsync`'d, so a crash leaves the old snapshot or the new one.
 */
export async function writeSnapshot(
  dir: string,
  tenant: string,
  entries: readonly SnapshotEntry[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, encodeURIComponent(tenant) + SUFFIX);
  const fh = await open(`${path}.tmp`, "w");
  try {
    await fh.writeFile(JSON.stringify({ version: VERSION, families: entries }));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(`${path}.tmp`, path);
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Removes `tenant`'s snapshot from `dir`, if there is one. */
export async function deleteSnapshot(dir: string, tenant: string): Promise<void> {
  await rm(join(dir, encodeURIComponent(tenant) + SUFFIX), { force: true });
}

/**
 * Every tenant's snapshot in `dir` (none when it does not exist). Leftover `.tmp` files and other
 * names are ignored; a snapshot that cannot be parsed is reported to `onProblem` and skipped.
 */
export async function readSnapshots(
  dir: string,
  onProblem: (message: string) => void,
): Promise<{ tenant: string; entries: SnapshotEntry[] }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: { tenant: string; entries: SnapshotEntry[] }[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(SUFFIX)) continue;
    const path = join(dir, name);
    try {
      const tenant = decodeURIComponent(name.slice(0, -SUFFIX.length));
      out.push({ tenant, entries: parseSnapshot(await readFile(path, "utf8")) });
    } catch (err) {
      onProblem(`metric metadata snapshot ${path} skipped: ${(err as Error).message}`);
    }
  }
  return out;
}

function parseSnapshot(text: string): SnapshotEntry[] {
  const doc = JSON.parse(text) as { version?: unknown; families?: unknown };
  if (doc.version !== VERSION) throw new Error(`unknown version ${JSON.stringify(doc.version)}`);
  if (!Array.isArray(doc.families)) throw new Error("no families array");
  for (const e of doc.families as unknown[]) {
    if (!Array.isArray(e) || e.length !== 4 || !e.every((s) => typeof s === "string"))
      throw new Error(`bad entry ${JSON.stringify(e).slice(0, 100)}`);
  }
  return doc.families as SnapshotEntry[];
}
