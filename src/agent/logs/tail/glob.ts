import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { globElementRegExp } from "../../discovery/glob.js";

/**
 * File globs for the log tailer: `*` (any run of characters but `/`) and `?` (one such character),
 * allowed in any path element (`/var/log/pods/*\/*\/*.log`), over absolute paths. Only regular files
 * (symlinks followed) match. Unlike `src/agent/discovery/glob.ts`, wildcards are not limited to the
 * last element. Run on an interval, not per line, so it favours clarity.
 */

function hasWildcard(s: string): boolean {
  return s.includes("*") || s.includes("?");
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EACCES";
}

/** Whether `path` matches the glob `pattern` (same rules as {@link expandGlob}, no I/O). */
export function matchGlob(pattern: string, path: string): boolean {
  const pe = pattern.split("/");
  const xe = path.split("/");
  if (pe.length !== xe.length) return false;
  return pe.every((p, i) => (hasWildcard(p) ? globElementRegExp(p).test(xe[i]!) : p === xe[i]));
}

/**
 * The regular files `pattern` names now, sorted. Missing or unreadable directories are no match,
 * not an error.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const elements = pattern.split("/");
  let prefixes = [elements[0] === "" ? "/" : elements[0]!];
  for (let i = 1; i < elements.length; i++) {
    const el = elements[i]!;
    if (el === "") continue;
    const next: string[] = [];
    if (!hasWildcard(el)) {
      for (const p of prefixes) next.push(join(p, el));
    } else {
      const re = globElementRegExp(el);
      for (const p of prefixes) {
        let names: string[];
        try {
          names = await readdir(p);
        } catch (err) {
          if (isMissing(err)) continue;
          throw err;
        }
        for (const name of names) if (re.test(name)) next.push(join(p, name));
      }
    }
    prefixes = next;
    if (prefixes.length === 0) return [];
  }
  const files: string[] = [];
  for (const p of prefixes) {
    try {
      if ((await stat(p)).isFile()) files.push(p);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  return files.sort();
}
