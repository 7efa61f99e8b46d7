import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { RegistryStoreError } from "./store.js";

/** Database files claimed by a store of this process. */
const claimed = new Set<string>();

/**
 * Claims the SQLite database `dbPath` for this process and returns the function that gives it back.
 *
 * node-sqlite3-wasm locks a database by creating the directory `<dbPath>.lock` and removing it on
 * unlock; a process that dies holding it (kill -9, power loss) leaves it behind, and every later
 * open fails with "database is locked" for good. So the owner writes its pid to `<dbPath>.pid`
 * (created exclusively, mode 0600); the next opener that finds a pid file whose process is gone (or
 * is itself: a restarted container is often pid 1 again) removes the stale lock directory and takes
 * over. Throws `busy` when a live process, or another store in this one, holds the database.
 */
export function claimDatabase(dbPath: string): () => void {
  const path = resolve(dbPath);
  if (claimed.has(path)) {
    throw new RegistryStoreError("busy", `registry database ${path} is already open in this process`);
  }
  const pidFile = `${path}.pid`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(pidFile, "wx", 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = readOwner(pidFile);
    if (attempt > 0 || (owner !== undefined && owner !== process.pid && isAlive(owner))) {
      throw new RegistryStoreError(
        "busy",
        `registry database ${path} is in use by process ${owner ?? "(unknown)"} (named in ${pidFile}); ` +
          `stop it first. If no Mirador runs with this data_dir, delete ${pidFile}`,
      );
    }
    rmSync(pidFile, { force: true });
  }
  // Whatever lock directory is left belongs to a process that is gone.
  rmSync(`${path}.lock`, { recursive: true, force: true });
  claimed.add(path);
  return () => {
    claimed.delete(path);
    if (readOwner(pidFile) === process.pid) rmSync(pidFile, { force: true });
  };
}

function readOwner(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
