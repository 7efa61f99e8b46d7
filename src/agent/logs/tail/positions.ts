import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../../lib/fs/atomic-file.js";
import type { Position } from "./file-tailer.js";

/**
 * The positions file: where tailing stopped in each file, so that a restarted agent resumes there.
 * Format (docs/format/agent-log-positions.md), JSON:
 *
 * ```json
 * {"version":1,"positions":{"/var/log/pods/ns_pod_uid/c/0.log":{"inode":"2049:131","offset":1234,"seen_ms":1714557600000}}}
 * ```
 *
 * `inode` is `<dev>:<ino>`, `offset` the byte after the last line durably queued, `seen_ms` the last
 * time (Unix ms) the path was seen on disk. The file is replaced atomically (temporary file, fsync,
 * rename, fsync of the directory), so a crash leaves the old or the new one whole. Entries of paths
 * not seen for longer than the grace are dropped when saving.
 */

/** Format version written and accepted. */
export const POSITIONS_VERSION = 1;

interface Entry {
  inode: string;
  offset: number;
  seenMs: number;
}

/** Options of a {@link PositionsFile}. */
export interface PositionsFileOptions {
  /** Drop entries of paths not seen for this long, in milliseconds (default 24 h). */
  readonly graceMs?: number;
  /** Clock in Unix milliseconds (tests). */
  readonly now?: () => number;
}

/** Thrown when the positions file exists but cannot be understood. */
export class PositionsFileError extends Error {
  readonly code = "LOG_POSITIONS_INVALID";
  constructor(path: string, why: string) {
    super(`log positions file ${path}: ${why}; move it away to start every file from its beginning`);
    this.name = "PositionsFileError";
  }
}

/**
 * The positions of the tailed files, in memory, saved to one file. {@link set} only after the lines
 * before the position are durably queued; {@link save} periodically ({@link startAutoSave}) and on stop.
 */
export class PositionsFile {
  private readonly entries = new Map<string, Entry>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private readonly graceMs: number;
  private readonly now: () => number;

  private constructor(
    readonly path: string,
    opts: PositionsFileOptions,
  ) {
    this.graceMs = opts.graceMs ?? 24 * 3600_000;
    this.now = opts.now ?? Date.now;
  }

  /** Reads `path` (a missing file means no positions yet). Throws {@link PositionsFileError} if it is corrupt. */
  static async load(path: string, opts: PositionsFileOptions = {}): Promise<PositionsFile> {
    const pf = new PositionsFile(path, opts);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return pf;
      throw err;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new PositionsFileError(path, "not JSON");
    }
    const d = doc as { version?: unknown; positions?: unknown };
    if (typeof doc !== "object" || doc === null || d.version !== POSITIONS_VERSION) {
      throw new PositionsFileError(path, `expected {"version":${POSITIONS_VERSION},…}`);
    }
    if (typeof d.positions !== "object" || d.positions === null)
      throw new PositionsFileError(path, "no positions");
    const nowMs = pf.now();
    for (const [p, v] of Object.entries(d.positions as Record<string, unknown>)) {
      const e = v as { inode?: unknown; offset?: unknown; seen_ms?: unknown };
      if (typeof e?.inode !== "string" || !Number.isSafeInteger(e.offset) || (e.offset as number) < 0) {
        throw new PositionsFileError(path, `bad entry for ${JSON.stringify(p)}`);
      }
      const seenMs = typeof e.seen_ms === "number" ? e.seen_ms : nowMs;
      pf.entries.set(p, { inode: e.inode, offset: e.offset as number, seenMs });
    }
    return pf;
  }

  /** The saved position of `path`. */
  get(path: string): Position | undefined {
    const e = this.entries.get(path);
    return e === undefined ? undefined : { inode: e.inode, offset: e.offset };
  }

  /** Records `pos` for `path` (call once the lines before it are durably queued). */
  set(path: string, pos: Position): void {
    const e = this.entries.get(path);
    if (e !== undefined && e.inode === pos.inode && e.offset === pos.offset) return;
    this.entries.set(path, { inode: pos.inode, offset: pos.offset, seenMs: this.now() });
    this.dirty = true;
  }

  /** Records every position of `update` ({@link set}). */
  setAll(update: ReadonlyMap<string, Position>): void {
    for (const [p, pos] of update) this.set(p, pos);
  }

  /** Marks `paths` as present on disk now, keeping their entries past the grace. */
  keepAlive(paths: Iterable<string>): void {
    const t = this.now();
    for (const p of paths) {
      const e = this.entries.get(p);
      if (e !== undefined) e.seenMs = t;
    }
  }

  /** Paths with an entry. */
  paths(): string[] {
    return [...this.entries.keys()];
  }

  /** Drops expired entries and writes the file if anything changed since the last save. */
  async save(): Promise<void> {
    while (this.saving !== undefined) await this.saving;
    const cutoff = this.now() - this.graceMs;
    for (const [p, e] of this.entries) {
      if (e.seenMs < cutoff) {
        this.entries.delete(p);
        this.dirty = true;
      }
    }
    if (!this.dirty) return;
    this.dirty = false;
    const positions: Record<string, { inode: string; offset: number; seen_ms: number }> = {};
    for (const [p, e] of [...this.entries].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      positions[p] = { inode: e.inode, offset: e.offset, seen_ms: e.seenMs };
    }
    const text = `${JSON.stringify({ version: POSITIONS_VERSION, positions })}\n`;
    this.saving = writeFileAtomic(this.path, text, 0o600).catch((err: unknown) => {
      this.dirty = true;
      throw err;
    });
    try {
      await this.saving;
    } finally {
      this.saving = undefined;
    }
  }

  /**
   * Saves every `intervalMs` until {@link stop}; a failed save is reported to `onError` and retried
   * at the next tick.
   */
  startAutoSave(intervalMs: number, onError: (err: unknown) => void): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.save().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic save and saves one last time. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.save();
  }
}
