import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Expansion of a `file_sd_configs` path as Prometheus's file discovery does it with Go's
 * `filepath.Glob`, limited to what its path rule allows: wildcards (`*`, `?`) in the last path
 * element only. Names come back sorted; dot-files match `*` as in Go.
 */

const WILDCARD = /[*?]/;

/** Whether the last element of `pattern` has a wildcard. */
export function isPattern(pattern: string): boolean {
  return WILDCARD.test(basename(pattern));
}

/** The RegExp of one path element with `*` (any run of characters but `/`) and `?` (one of them). */
export function globElementRegExp(glob: string): RegExp {
  let src = "";
  for (const c of glob) {
    if (c === "*") src += "[^/]*";
    else if (c === "?") src += "[^/]";
    else src += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${src}$`);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * The regular files `pattern` names now, sorted. A missing directory or file is no match (not an
 * error), as with Go's `Glob`; other I/O errors are thrown.
 */
export async function expandPattern(pattern: string): Promise<string[]> {
  if (!isPattern(pattern)) {
    try {
      return (await stat(pattern)).isFile() ? [pattern] : [];
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }
  const dir = dirname(pattern);
  const re = globElementRegExp(basename(pattern));
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  return entries
    .filter((name) => re.test(name))
    .sort()
    .map((name) => join(dir, name));
}
