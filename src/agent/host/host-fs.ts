import { readdir, readFile, statfs } from "node:fs/promises";
import { join } from "node:path";

/** What statfs(2) says about one mounted filesystem; block counts are in units of `bsize` bytes. */
export interface StatFsResult {
  /** Block size in bytes. */
  readonly bsize: number;
  /** Total blocks. */
  readonly blocks: number;
  /** Free blocks. */
  readonly bfree: number;
  /** Free blocks available to unprivileged users. */
  readonly bavail: number;
  /** Total inodes. */
  readonly files: number;
  /** Free inodes. */
  readonly ffree: number;
}

/**
 * The host as the collectors see it: procfs, sysfs and the root filesystem, each possibly mounted
 * somewhere else (a container with the host's `/proc` at `/host/proc`). Paths are relative to the
 * respective root, without a leading slash (`"stat"`, `"pressure/cpu"`). Reads reject with the
 * underlying errno error (`code` `"ENOENT"`, `"EACCES"`, …) when a file cannot be read.
 */
export interface HostFs {
  /** Where the host's `/` is mounted, as given; `"/"` when the collector runs on the host. */
  readonly rootPath: string;
  /** Reads a file under procfs as UTF-8. */
  readProc(rel: string): Promise<string>;
  /** Reads a file under sysfs as UTF-8. */
  readSys(rel: string): Promise<string>;
  /** Lists a directory under sysfs (names only). */
  listSys(rel: string): Promise<string[]>;
  /** Reads a file under the host's root filesystem as UTF-8. */
  readRoot(rel: string): Promise<string>;
  /**
   * statfs(2) of `mountPoint`, an absolute path as the host sees it. May never settle on a hung
   * network mount; callers bound it with a timeout.
   */
  statfs(mountPoint: string): Promise<StatFsResult>;
}

/** Where {@link NodeHostFs} finds the host; each defaults to the path on the host itself. */
export interface HostPaths {
  /** procfs mount point; default `/proc`. */
  readonly procPath?: string;
  /** sysfs mount point; default `/sys`. */
  readonly sysPath?: string;
  /** The host's root filesystem; default `/`. */
  readonly rootPath?: string;
}

/** {@link HostFs} over the real filesystem through `node:fs/promises`. */
export class NodeHostFs implements HostFs {
  readonly rootPath: string;
  readonly #proc: string;
  readonly #sys: string;

  constructor(paths: HostPaths = {}) {
    this.#proc = paths.procPath ?? "/proc";
    this.#sys = paths.sysPath ?? "/sys";
    this.rootPath = paths.rootPath ?? "/";
  }

  readProc(rel: string): Promise<string> {
    return readFile(join(this.#proc, rel), "utf8");
  }

  readSys(rel: string): Promise<string> {
    return readFile(join(this.#sys, rel), "utf8");
  }

  listSys(rel: string): Promise<string[]> {
    return readdir(join(this.#sys, rel));
  }

  readRoot(rel: string): Promise<string> {
    return readFile(join(this.rootPath, rel), "utf8");
  }

  async statfs(mountPoint: string): Promise<StatFsResult> {
    const s = await statfs(join(this.rootPath, mountPoint));
    return {
      bsize: s.bsize,
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
    };
  }
}

/**
 * Wraps `fs` so that each file is read at most once for the wrapper's lifetime (one collection):
 * collectors that share a file (`cpu` and `stat` both read `/proc/stat`) share one read. statfs is
 * not cached.
 */
export function withReadCache(fs: HostFs): HostFs {
  const cache = new Map<string, Promise<string>>();
  const lists = new Map<string, Promise<string[]>>();
  const once = (key: string, read: () => Promise<string>): Promise<string> => {
    let p = cache.get(key);
    if (p === undefined) {
      p = read();
      cache.set(key, p);
    }
    return p;
  };
  return {
    rootPath: fs.rootPath,
    readProc: (rel) => once(`p:${rel}`, () => fs.readProc(rel)),
    readSys: (rel) => once(`s:${rel}`, () => fs.readSys(rel)),
    readRoot: (rel) => once(`r:${rel}`, () => fs.readRoot(rel)),
    listSys: (rel) => {
      let p = lists.get(rel);
      if (p === undefined) {
        p = fs.listSys(rel);
        lists.set(rel, p);
      }
      return p;
    },
    statfs: (mountPoint) => fs.statfs(mountPoint),
  };
}

/** The errno code (`"ENOENT"`, `"EACCES"`, …) of a rejected file operation, if it has one. */
export function errorCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return undefined;
}
