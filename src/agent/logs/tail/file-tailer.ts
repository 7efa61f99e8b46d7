import type { FileHandle } from "node:fs/promises";
import { open, readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Tailing of one log file by path, across rotations, from a saved position.
 *
 * The tailer reads big chunks (256 KiB by default) into one reused buffer and splits them on `\n`
 * without making strings: a {@link LineBatch} gives the byte ranges of the lines and, for each, the
 * file offset just after it. The caller makes what it needs of the bytes before the next
 * {@link FileTailer.read}, and persists a position only once the lines before it are safely queued.
 *
 * What happens to the file:
 * - Growth: read on the next call, a chunk at a time; an incomplete last line waits for its `\n`.
 * - Rename and create (kubelet, logrotate `create`): the old file is read to its end through the
 *   open descriptor first; then its unterminated last line, if any, is given as a line and the new
 *   file is opened from offset 0. The old file's size is checked again after the new file is seen,
 *   so everything written to it before the rename is read. Lines written to it after it was read to
 *   the end and the new one seen are lost (the writer should have moved on by then). When the path
 *   rotated more than once before the reader reached the end of the old file (a reader behind, or
 *   an agent restarted), the rotated files in between — siblings named `<file>.<suffix>`, not
 *   compressed (`.gz`), last written after the old file — are read whole, oldest first, before the
 *   path; a rotated file already compressed (as the kubelet does with all but the newest) is lost.
 * - Copy and truncate (logrotate `copytruncate`): seen as a size below the read offset on the same
 *   inode; reading restarts at 0. As with Promtail, lines written between the reader's last read and
 *   the copy are in the copy only (lost unless the copy is also tailed), and if the file grows past
 *   the old offset again before the next check, its first bytes are skipped. The size is checked
 *   before every read that follows one which found nothing new (a read at an offset past the end
 *   of a truncated file finds nothing), which keeps that window to about one poll interval.
 * - Deleted while open: the descriptor stays open and is read to its end; {@link FileTailer.gone}
 *   tells the caller, who then takes the unterminated remainder ({@link FileTailer.remainder}) and
 *   closes.
 * - Restart: with a saved position whose inode is the file's and whose offset is within it, reading
 *   resumes there. With another inode (the file rotated meanwhile), the rotated file is looked for
 *   by inode in the same directory (where kubelet and logrotate put it): if found, it is read to its
 *   end from the saved offset first, then the newer rotated siblings (as above), then the path from
 *   0; if not, the path is read from 0 (what was left unread in the old file is lost). With no saved position: from the start (default) or
 *   the end (`startAtEnd`).
 *
 * Lines longer than `maxLineBytes` are cut: the first `maxLineBytes` bytes are given with
 * `truncated` set, the rest up to the newline is skipped (after a restart in the middle of such a
 * line, its rest comes as a line of its own).
 */

/** Where reading stopped in a file: its identity and the offset of the next unread byte. */
export interface Position {
  /** `<dev>:<ino>` of the file. */
  readonly inode: string;
  /** Bytes from the start of the file. */
  readonly offset: number;
}

/** Options of a {@link FileTailer}. */
export interface FileTailerOptions {
  /** Saved position to resume from (see the file comment). */
  readonly position?: Position | undefined;
  /** With no saved position, start at the current end instead of the beginning (default false). */
  readonly startAtEnd?: boolean;
  /** Bytes read per call (default 256 KiB). */
  readonly chunkBytes?: number;
  /** Longest line kept whole, in bytes (default 256 KiB); longer ones are cut. */
  readonly maxLineBytes?: number;
  /**
   * A read buffer shared with other tailers that are read one after another, never concurrently
   * (a {@link TailManager}'s): each tailer then keeps only its unfinished last line between reads,
   * and a batch's `data` is valid only until the next read of any of them. Without it, each tailer
   * has its own buffer of a chunk and more.
   */
  readonly shared?: SharedReadBuffer;
}

/** The read buffer of {@link FileTailerOptions.shared}: grown by the tailers as they need. */
export class SharedReadBuffer {
  buf: Buffer = Buffer.alloc(0);
}

/**
 * The lines one {@link FileTailer.read} found. Line `i` is `data[starts[i], ends[i])` (newline
 * excluded); the arrays are reused and valid for `count` entries until the next read.
 */
export interface LineBatch {
  /** The tailer's buffer: valid until the next call on the tailer. */
  readonly data: Buffer;
  readonly count: number;
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** File offset just after line `i` (after its newline). */
  readonly offsets: readonly number[];
  /** Whether line `i` was cut at `maxLineBytes`. */
  readonly truncated: readonly boolean[];
  /** The file (`<dev>:<ino>`) the lines come from. */
  readonly inode: string;
  /** File offset where line 0 starts (line `i > 0` starts at `offsets[i - 1]`). */
  readonly firstLineOffset: number;
  /** Position after the last line of the batch: what to persist once those lines are queued. */
  readonly position: Position;
  /**
   * Set when the batch ends a file: `rotated` (the path now names a new file; the next read opens
   * it), `truncated` (copy-truncate: reading restarts at 0), `gone` (deleted; from `remainder`).
   */
  readonly event?: "rotated" | "truncated" | "gone";
}

/** Counters of one tailer, cumulative. */
export interface TailerStats {
  bytesRead: number;
  linesRead: number;
  linesTruncated: number;
  rotations: number;
  truncations: number;
}

/** Default bytes read per call. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;
/** Default longest line. */
export const DEFAULT_MAX_LINE_BYTES = 256 * 1024;

const NL = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Room kept for an incomplete line beside a chunk before the buffer has to grow. */
const TAIL_ROOM = 16 * 1024;
/** Reads finding nothing after which an idle tailer with no incomplete line frees its buffer. */
const IDLE_READS_BEFORE_RELEASE = 40;

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Tails one path; see the file comment. Not safe for concurrent calls: await each before the next. */
export class FileTailer {
  private fh: FileHandle | undefined;
  private inode = "";
  private readOffset = 0;
  private committed = 0;
  private tailStart = 0;
  private tailLen = 0;
  private skipping = false;
  private reopenFromStart = false;
  private saved: Position | undefined;
  /** Rotated files to read whole, in this order, before the path (see the file comment). */
  private between: string[] = [];
  /** Inodes of the rotated files finished since the path itself was last opened (never read twice). */
  private finished = new Set<string>();
  private readonly startAtEnd: boolean;
  private readonly chunkBytes: number;
  private readonly maxLineBytes: number;
  /** Grown on demand (chunk + tail) and released after a while idle: 50 quiet files cost no memory. */
  private buf: Buffer = EMPTY;
  private readonly shared: SharedReadBuffer | undefined;
  /** With a shared buffer: the unfinished last line between reads, at offset 0 (`tailLen` bytes). */
  private tail: Buffer = EMPTY;
  private idleReads = 0;
  /** Whether the last read found data (the next one then skips the stat). */
  private flowing = false;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly offsets: number[] = [];
  private readonly cutFlags: boolean[] = [];
  private count = 0;
  private firstLineOffset = 0;
  private closed = false;
  /** The path named no file at the last check (deleted, or renamed with no new file yet). */
  gone = false;
  /** Cumulative counters. */
  readonly stats: TailerStats = {
    bytesRead: 0,
    linesRead: 0,
    linesTruncated: 0,
    rotations: 0,
    truncations: 0,
  };

  constructor(
    readonly path: string,
    opts: FileTailerOptions = {},
  ) {
    this.saved = opts.position;
    this.startAtEnd = opts.startAtEnd ?? false;
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.shared = opts.shared;
    if (!(this.chunkBytes >= 1) || !(this.maxLineBytes >= 1)) {
      throw new RangeError(`tailer ${path}: chunkBytes and maxLineBytes must be >= 1`);
    }
  }

  /** Position after the last line given so far (`undefined` before the file was first opened). */
  get position(): Position | undefined {
    return this.inode === "" ? undefined : { inode: this.inode, offset: this.committed };
  }

  /** Whether a file is open. */
  get isOpen(): boolean {
    return this.fh !== undefined;
  }

  /**
   * Reads what is new: a batch of lines (possibly empty, with an `event`), or `null` when there is
   * nothing to read now (at the end of the file, or no file at the path).
   */
  async read(): Promise<LineBatch | null> {
    if (this.closed) throw new Error(`tailer ${this.path}: read after close`);
    if (this.shared === undefined) return this.readNow();
    this.borrow(this.shared);
    try {
      return await this.readNow();
    } finally {
      this.giveBack(this.shared);
    }
  }

  /** Takes the shared buffer for a read, with this file's unfinished line at its start. */
  private borrow(shared: SharedReadBuffer): void {
    const need = this.tailLen + this.chunkBytes;
    if (shared.buf.length < need)
      shared.buf = Buffer.allocUnsafe(Math.max(need, this.chunkBytes + TAIL_ROOM));
    this.tail.copy(shared.buf, 0, 0, this.tailLen);
    this.buf = shared.buf;
    this.tailStart = 0;
  }

  /** Keeps this file's unfinished line aside and leaves the (maybe grown) buffer to the others. */
  private giveBack(shared: SharedReadBuffer): void {
    if (this.buf.length > shared.buf.length) shared.buf = this.buf;
    if (this.tailLen > this.tail.length || (this.tail.length > TAIL_ROOM && this.tailLen <= TAIL_ROOM / 4)) {
      this.tail = Buffer.allocUnsafe(Math.max(this.tailLen, 256));
    }
    this.buf.copy(this.tail, 0, this.tailStart, this.tailStart + this.tailLen);
    this.tailStart = 0;
    this.buf = this.tail;
  }

  private async readNow(): Promise<LineBatch | null> {
    if (this.fh === undefined && !(await this.openFile())) return null;
    const fh = this.fh!;
    if (this.tailLen > 0 && this.tailStart > 0) {
      this.buf.copyWithin(0, this.tailStart, this.tailStart + this.tailLen);
    }
    this.tailStart = 0;
    if (this.flowing) {
      // The last read found data: read on without a stat (one system call less per chunk). A read
      // that finds nothing falls through to the checks below (truncation, rotation, idle).
      this.ensureRoom(this.tailLen + this.chunkBytes);
      const { bytesRead } = await fh.read(this.buf, this.tailLen, this.chunkBytes, this.readOffset);
      if (bytesRead > 0) return this.took(bytesRead);
      this.flowing = false;
    }
    const size = Number((await fh.stat({ bigint: true })).size);
    if (size < this.readOffset) return this.restartTruncated();
    if (size === this.readOffset) {
      const idle = ++this.idleReads >= IDLE_READS_BEFORE_RELEASE;
      if (idle && this.tailLen === 0 && this.shared === undefined) this.buf = EMPTY;
      return this.atEnd();
    }
    this.idleReads = 0;
    const want = Math.min(this.chunkBytes, size - this.readOffset);
    this.ensureRoom(this.tailLen + want);
    const { bytesRead } = await fh.read(this.buf, this.tailLen, want, this.readOffset);
    if (bytesRead === 0) return null;
    this.flowing = true;
    return this.took(bytesRead);
  }

  /** Accounts for `bytesRead` new bytes after the pending partial line and splits them into lines. */
  private took(bytesRead: number): LineBatch {
    this.readOffset += bytesRead;
    this.stats.bytesRead += bytesRead;
    this.split(this.tailLen + bytesRead);
    return this.batch(undefined);
  }

  /**
   * The unterminated last line, given as a line, once the caller is done with a file that is gone;
   * `null` when there is none.
   */
  remainder(): LineBatch | null {
    this.count = 0;
    if (this.takeTail()) return this.batch("gone");
    return null;
  }

  /** Closes the file. The tailer cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async openFile(): Promise<boolean> {
    let fh: FileHandle | undefined;
    while (fh === undefined && this.between.length > 0) {
      // A rotated file between the old one and the path; it may have been deleted meanwhile.
      fh = await open(this.between.shift()!, "r").catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      });
    }
    try {
      if (fh === undefined) {
        fh = await open(this.path, "r");
        this.finished.clear();
      }
    } catch (err) {
      if (isMissing(err)) {
        this.gone = true;
        return false;
      }
      throw err;
    }
    let size: number;
    try {
      const st = await fh.stat({ bigint: true });
      this.inode = `${st.dev}:${st.ino}`;
      size = Number(st.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
    const saved = this.saved;
    this.saved = undefined;
    if (saved !== undefined && saved.inode !== this.inode && !this.reopenFromStart) {
      const old = await this.openRotated(saved.inode);
      if (old !== undefined) {
        await fh.close();
        fh = old.fh;
        this.inode = saved.inode;
        size = old.size;
        this.between = await this.rotatedAfter(old.fh);
      }
    }
    this.fh = fh;
    this.flowing = false;
    this.gone = false;
    let offset = 0;
    if (this.reopenFromStart) offset = 0;
    else if (saved !== undefined)
      offset = saved.inode === this.inode && saved.offset <= size ? saved.offset : 0;
    else if (this.startAtEnd) offset = size;
    this.reopenFromStart = true; // every later open is of a new file
    this.readOffset = offset;
    this.committed = offset;
    this.tailLen = 0;
    this.tailStart = 0;
    this.skipping = false;
    return true;
  }

  /** Opens the file of `inode` among the path's siblings (the path rotated while the agent was down). */
  private async openRotated(inode: string): Promise<{ fh: FileHandle; size: number } | undefined> {
    const dir = dirname(this.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return undefined;
    }
    for (const name of names) {
      const p = join(dir, name);
      if (p === this.path) continue;
      try {
        const st = await stat(p, { bigint: true });
        if (!st.isFile() || `${st.dev}:${st.ino}` !== inode) continue;
        const fh = await open(p, "r");
        const st2 = await fh.stat({ bigint: true });
        if (`${st2.dev}:${st2.ino}` === inode) return { fh, size: Number(st2.size) };
        await fh.close();
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    return undefined;
  }

  /**
   * The path's rotated siblings (`<name>.<suffix>`, not `.gz`) last written after `old`, oldest
   * first, leaving out `old` itself and the file at the path now (`pathInode`).
   */
  private async rotatedAfter(old: FileHandle, pathInode?: string): Promise<string[]> {
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}.`;
    const o = await old.stat({ bigint: true });
    const oldInode = `${o.dev}:${o.ino}`;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const found: { path: string; mtimeNs: bigint }[] = [];
    for (const name of names) {
      if (!name.startsWith(prefix) || name.endsWith(".gz")) continue;
      const p = join(dir, name);
      try {
        const st = await stat(p, { bigint: true });
        const inode = `${st.dev}:${st.ino}`;
        // Same mtime counts as after: with a coarse clock a file and the next share one, and a
        // duplicate line is better than a lost one.
        const skip = inode === oldInode || inode === pathInode || this.finished.has(inode);
        if (!st.isFile() || skip || st.mtimeNs < o.mtimeNs) continue;
        found.push({ path: p, mtimeNs: st.mtimeNs });
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    found.sort((a, b) => (a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : a.path < b.path ? -1 : 1));
    return found.map((f) => f.path);
  }

  private restartTruncated(): LineBatch {
    this.stats.truncations++;
    this.flowing = false;
    this.readOffset = 0;
    this.committed = 0;
    this.tailLen = 0;
    this.skipping = false;
    this.count = 0;
    this.firstLineOffset = 0;
    return this.batch("truncated");
  }

  private async atEnd(): Promise<LineBatch | null> {
    let ino: string;
    try {
      const st = await stat(this.path, { bigint: true });
      ino = `${st.dev}:${st.ino}`;
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.gone = true;
      return null;
    }
    this.gone = false;
    if (ino === this.inode) return null;
    // The path names another file. The old one may have grown between our size check and the
    // rename: check it again, now that the rename is seen, so that nothing written before is missed.
    const size = Number((await this.fh!.stat({ bigint: true })).size);
    if (size > this.readOffset) return this.readNow();
    // Rotated: the old file is read to its end; give its last unterminated line, then switch.
    this.stats.rotations++;
    this.count = 0;
    this.takeTail();
    const b = this.batch("rotated");
    const fh = this.fh;
    this.finished.add(this.inode);
    if (this.between.length === 0) this.between = await this.rotatedAfter(fh!, ino);
    this.fh = undefined;
    await fh?.close();
    return b;
  }

  /** Grows the buffer to hold `need` bytes, keeping the incomplete line at its start. */
  private ensureRoom(need: number): void {
    if (this.buf.length >= need) return;
    const size = Math.min(this.chunkBytes + this.maxLineBytes, Math.max(need, this.chunkBytes + TAIL_ROOM));
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.tailLen);
    this.buf = next;
  }

  /** Moves the pending unterminated line, if any, into the batch as a line. */
  private takeTail(): boolean {
    if (this.tailLen === 0) return false;
    if (this.tailStart > 0) this.buf.copyWithin(0, this.tailStart, this.tailStart + this.tailLen);
    this.tailStart = 0;
    this.firstLineOffset = this.committed;
    this.committed += this.tailLen;
    this.push(0, this.tailLen, this.committed, false);
    this.tailLen = 0;
    return true;
  }

  private push(start: number, end: number, offset: number, cut: boolean): void {
    const i = this.count++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.offsets[i] = offset;
    this.cutFlags[i] = cut;
    this.stats.linesRead++;
    if (cut) this.stats.linesTruncated++;
  }

  /** Splits `buf[0, len)` (file offset of byte 0 is `readOffset - len`) into lines. */
  private split(len: number): void {
    const view = this.buf.subarray(0, len);
    const base = this.readOffset - len;
    const max = this.maxLineBytes;
    this.count = 0;
    let from = 0;
    if (this.skipping) {
      const nl = view.indexOf(NL);
      if (nl < 0) {
        this.tailLen = 0;
        this.committed = this.readOffset;
        return;
      }
      this.skipping = false;
      from = nl + 1;
      this.committed = base + from;
    }
    this.firstLineOffset = base + from;
    for (;;) {
      const nl = view.indexOf(NL, from);
      if (nl < 0) break;
      const cut = nl - from > max;
      this.push(from, cut ? from + max : nl, base + nl + 1, cut);
      from = nl + 1;
    }
    if (this.count > 0) this.committed = this.offsets[this.count - 1]!;
    const rest = len - from;
    if (rest > max) {
      // An over-long line with no newline yet: give its head now and skip the rest.
      this.push(from, from + max, base + from + max, true);
      this.committed = this.readOffset;
      this.skipping = true;
      this.tailLen = 0;
      return;
    }
    this.tailStart = from;
    this.tailLen = rest;
  }

  private batch(event: LineBatch["event"]): LineBatch {
    const position = { inode: this.inode, offset: this.committed };
    const b = {
      data: this.buf,
      count: this.count,
      starts: this.starts,
      ends: this.ends,
      offsets: this.offsets,
      truncated: this.cutFlags,
      inode: this.inode,
      firstLineOffset: this.firstLineOffset,
      position,
    };
    return event === undefined ? b : { ...b, event };
  }
}
