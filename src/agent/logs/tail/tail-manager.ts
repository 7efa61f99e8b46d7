import { isUtf8 } from "node:buffer";
import { newCriScan, parseCriLine, scanCriLine } from "./cri.js";
import { parseDockerLine } from "./docker.js";
import type { FileTailerOptions, LineBatch, Position, TailerStats } from "./file-tailer.js";
import { FileTailer, SharedReadBuffer } from "./file-tailer.js";
import { expandGlob } from "./glob.js";
import { kubeLabelsFromPath } from "./kube-path.js";
import { bytesToSink, completeUtf8End, type LineSink, msOfNs, NS_PER_MS, subNsOfNs } from "./line-sink.js";
import type { JoinedLine } from "./partial-joiner.js";
import { DEFAULT_MAX_JOINED_BYTES, PartialJoiner } from "./partial-joiner.js";
import type { ParsedRecord, Stream } from "./record.js";

export type { LineSink } from "./line-sink.js";

/**
 * The collection loop: finds files by glob, tails each ({@link FileTailer}), decodes their lines
 * (CRI, Docker json-file or raw), joins split lines, and hands entries to one async consumer in
 * batches, with the positions to persist once the consumer has queued them durably.
 *
 * Backpressure: one loop reads, and it does not read again until the consumer's promise resolves.
 * A rejected hand-over is retried (same batch) until it succeeds or the manager stops; positions
 * only move with accepted batches, so nothing is lost, and a restart re-reads what was not accepted.
 *
 * Positions and split lines: while a line is being joined from pieces, the position given for its
 * file stays at the start of its first piece, so that a restart re-reads the whole line. Complete
 * lines of the other stream read meanwhile are then read again after a restart (duplicates with the
 * same timestamp and text, which a Loki-style store drops).
 *
 * Sinks: a target may name a {@link LineSink}, which then takes its lines synchronously, during the
 * read that found them, as byte ranges of the tailer's buffer with timestamps as plain numbers: on
 * the common path (CRI `F` records with no split line pending on their stream, raw lines, valid
 * UTF-8) no string, object or bigint is made per line. Only the rare lines that exist as strings
 * (joined from pieces, Docker json-file content, invalid UTF-8) go to {@link LineSink.text}. Such a
 * target's lines never become {@link LogEntry}s, except malformed ones (see {@link EntryBatch}); its
 * positions still go out only through `onEntries`, after the sink has had every line before them,
 * and its bytes count towards `maxBatchBytes`, so batches (maybe with no entries) keep coming.
 */

/** How the lines of a file are framed. `auto` decides on the first line: Docker JSON, CRI, else raw. */
export type LineFormat = "auto" | "cri" | "docker" | "raw";

/** A set of files to tail. */
export interface TailTarget {
  /** Absolute path glob; `*` and `?` in any element. */
  readonly glob: string;
  /** Framing of the files (default `auto`). */
  readonly format?: LineFormat;
  /** Labels added to every line of these files. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Takes the lines of these files instead of `onEntries` (see the file comment and {@link LineSink}). */
  readonly sink?: LineSink;
}

/** Kubernetes' container logs. */
export const DEFAULT_POD_TARGET: TailTarget = { glob: "/var/log/pods/*/*/*.log", format: "auto" };

/** One log line, ready for the pipeline. */
export interface LogEntry {
  readonly path: string;
  /**
   * From the path (`namespace`, `pod`, `pod_uid`, `container` for Kubernetes' layouts), the
   * target's labels, and `filename`. One object per file, shared by its entries: do not mutate.
   */
  readonly labels: Readonly<Record<string, string>>;
  /** Nanoseconds since the epoch: the runtime's timestamp, or the read time for raw and malformed lines. */
  readonly tsNs: bigint;
  /** The text (the whole raw line when `error` is set). */
  readonly line: string;
  /** For container logs. */
  readonly stream?: Stream;
  /** Set for a line that did not follow its file's format: sent as it is, with this as the marker. */
  readonly error?: string;
  /** The line was cut at the line or joined-line cap. */
  readonly truncated?: boolean;
}

/** What the consumer receives. */
export interface EntryBatch {
  /**
   * In file order per file; files interleave. For a target with a sink, only its malformed lines
   * (with `error`): the sink had the others.
   */
  readonly entries: LogEntry[];
  /** Per path, the position to persist once `entries` are durably queued (never before). */
  readonly positions: ReadonlyMap<string, Position>;
}

/** Where saved positions come from ({@link PositionsFile} is one). */
export interface PositionSource {
  get(path: string): Position | undefined;
  /** Paths present on disk at a scan (keeps their saved positions from expiring). */
  keepAlive(paths: Iterable<string>): void;
}

/** Options of a {@link TailManager}. */
export interface TailManagerOptions {
  readonly targets: readonly TailTarget[];
  /**
   * Receives batches; the next read waits for the promise. Persist `positions` only once the entries
   * (and what the targets' sinks took before the call) are safe.
   */
  readonly onEntries: (batch: EntryBatch) => Promise<void>;
  readonly positions?: PositionSource;
  /** Files without a saved position found by the first scan start at their end (default false: beginning). Files found later always start at the beginning. */
  readonly startAtEnd?: boolean;
  /** Milliseconds between glob expansions (default 2000). */
  readonly scanIntervalMs?: number;
  /** Milliseconds to wait when no file had anything new (default 250). */
  readonly pollIntervalMs?: number;
  /** Hand a batch over once its lines hold this many bytes (default 1 MiB); also at the end of every pass. */
  readonly maxBatchBytes?: number;
  /** Bytes read per file per call (default 256 KiB). */
  readonly chunkBytes?: number;
  /** Longest physical line (default 256 KiB). */
  readonly maxLineBytes?: number;
  /** Longest joined line from pieces (default 256 KiB). */
  readonly maxJoinedBytes?: number;
  /** Errors of scans, reads and the consumer (the loop goes on). */
  readonly onError?: (err: unknown) => void;
}

/** Counters of a {@link TailManager}, cumulative except `filesWatched`. */
export interface TailStats {
  /** Files found by the globs and tailed. */
  filesWatched: number;
  /** Of those, the ones with an open descriptor (the others are not there yet, or gone). */
  filesOpen: number;
  bytesRead: number;
  linesRead: number;
  linesTruncated: number;
  malformedLines: number;
  rotations: number;
  truncations: number;
  /** Entries accepted by `onEntries` (lines given to sinks are not entries). */
  entriesEmitted: number;
  /** Lines given to targets' sinks ({@link LineSink.bytes} and {@link LineSink.text} calls). */
  sinkLines: number;
}

interface FileState {
  readonly path: string;
  readonly tailer: FileTailer;
  readonly labels: Readonly<Record<string, string>>;
  format: LineFormat;
  readonly joiner: PartialJoiner;
  /** The target's sink, if any: then lines go there instead of into entries. */
  readonly sink: LineSink | undefined;
  /** Offset of the next line's start in the current file. */
  lineStart: number;
  missingScans: number;
}

function zeroTailerStats(): TailerStats {
  return { bytesRead: 0, linesRead: 0, linesTruncated: 0, rotations: 0, truncations: 0 };
}

function detectFormat(data: Buffer, start: number, end: number): LineFormat {
  if (data[start] === 0x7b && parseDockerLine(data, start, end).ok) return "docker";
  if (parseCriLine(data, start, end).ok) return "cri";
  return "raw";
}

/** Runs the collection loop; see the file comment. */
export class TailManager {
  private readonly files = new Map<string, FileState>();
  /** One read buffer for every file: they are read one after another, and each batch consumed at once. */
  private readonly readBuffer = new SharedReadBuffer();
  private readonly retired = zeroTailerStats();
  private malformed = 0;
  private joinCuts = 0;
  private emitted = 0;
  private sunk = 0;
  private entries: LogEntry[] = [];
  private positions = new Map<string, Position>();
  private pendingBytes = 0;
  /** Reused by every CRI line of the sink path. */
  private readonly cri = newCriScan();
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private firstScan = true;
  private readonly o: Required<Omit<TailManagerOptions, "positions" | "onError">>;

  constructor(private readonly opts: TailManagerOptions) {
    this.o = {
      targets: opts.targets,
      onEntries: opts.onEntries,
      startAtEnd: opts.startAtEnd ?? false,
      scanIntervalMs: opts.scanIntervalMs ?? 2000,
      pollIntervalMs: opts.pollIntervalMs ?? 250,
      maxBatchBytes: opts.maxBatchBytes ?? 1024 * 1024,
      chunkBytes: opts.chunkBytes ?? 256 * 1024,
      maxLineBytes: opts.maxLineBytes ?? 256 * 1024,
      maxJoinedBytes: opts.maxJoinedBytes ?? DEFAULT_MAX_JOINED_BYTES,
    };
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.loopDone !== undefined) return;
    this.loopDone = this.loop();
  }

  /** Stops after the batch in hand is accepted (or abandoned, positions unmoved), then closes every file. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    await this.loopDone;
    for (const st of this.files.values()) {
      this.retireStats(st);
      await st.tailer.close();
    }
    this.files.clear();
  }

  /** Current counters. */
  stats(): TailStats {
    const s = { ...this.retired };
    for (const st of this.files.values()) {
      const t = st.tailer.stats;
      s.bytesRead += t.bytesRead;
      s.linesRead += t.linesRead;
      s.linesTruncated += t.linesTruncated;
      s.rotations += t.rotations;
      s.truncations += t.truncations;
    }
    let open = 0;
    for (const st of this.files.values()) if (st.tailer.isOpen) open++;
    return {
      filesWatched: this.files.size,
      filesOpen: open,
      bytesRead: s.bytesRead,
      linesRead: s.linesRead,
      linesTruncated: s.linesTruncated + this.joinCuts,
      malformedLines: this.malformed,
      rotations: s.rotations,
      truncations: s.truncations,
      entriesEmitted: this.emitted,
      sinkLines: this.sunk,
    };
  }

  private async loop(): Promise<void> {
    let lastScan = Number.NEGATIVE_INFINITY;
    while (!this.stopping) {
      let progressed = false;
      try {
        if (Date.now() - lastScan >= this.o.scanIntervalMs) {
          lastScan = Date.now();
          await this.scan();
        }
        progressed = await this.pass();
      } catch (err) {
        this.opts.onError?.(err);
      }
      if (!progressed && !this.stopping) await this.sleep(this.o.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private wakeUp(): void {
    if (this.sleepTimer !== undefined) clearTimeout(this.sleepTimer);
    this.wake?.();
  }

  /** Expands the globs: opens new files, retires those gone for two scans after being read to their end. */
  private async scan(): Promise<void> {
    const found = new Map<string, TailTarget>();
    for (const t of this.o.targets) {
      for (const p of await expandGlob(t.glob)) if (!found.has(p)) found.set(p, t);
    }
    for (const [path, target] of found) {
      const st = this.files.get(path);
      if (st !== undefined) {
        st.missingScans = 0;
        continue;
      }
      this.files.set(path, this.newFile(path, target));
    }
    for (const st of [...this.files.values()]) {
      if (found.has(st.path) || !(st.tailer.gone || !st.tailer.isOpen)) continue;
      if (++st.missingScans >= 2) await this.retire(st);
    }
    this.opts.positions?.keepAlive(found.keys());
    this.firstScan = false;
  }

  private newFile(path: string, target: TailTarget): FileState {
    const opts: FileTailerOptions = {
      position: this.opts.positions?.get(path),
      startAtEnd: this.firstScan && this.o.startAtEnd,
      chunkBytes: this.o.chunkBytes,
      maxLineBytes: this.o.maxLineBytes,
      shared: this.readBuffer,
    };
    const labels = { ...kubeLabelsFromPath(path), ...target.labels, filename: path };
    return {
      path,
      tailer: new FileTailer(path, opts),
      labels,
      format: target.format ?? "auto",
      joiner: new PartialJoiner(this.o.maxJoinedBytes),
      sink: target.sink,
      lineStart: 0,
      missingScans: 0,
    };
  }

  private async retire(st: FileState): Promise<void> {
    const rest = st.tailer.remainder();
    if (rest !== null) this.consume(st, rest);
    else this.flushJoiner(st);
    await this.flush();
    this.retireStats(st);
    this.files.delete(st.path);
    await st.tailer.close();
  }

  private retireStats(st: FileState): void {
    const t = st.tailer.stats;
    this.retired.bytesRead += t.bytesRead;
    this.retired.linesRead += t.linesRead;
    this.retired.linesTruncated += t.linesTruncated;
    this.retired.rotations += t.rotations;
    this.retired.truncations += t.truncations;
  }

  /** One read of every file; hands batches over as they fill. Whether anything was read. */
  private async pass(): Promise<boolean> {
    let progressed = false;
    for (const st of [...this.files.values()]) {
      if (this.stopping) break;
      let b: LineBatch | null;
      try {
        b = await st.tailer.read();
      } catch (err) {
        this.opts.onError?.(err);
        continue;
      }
      if (b === null) continue;
      progressed = true;
      this.consume(st, b);
      if (this.pendingBytes >= this.o.maxBatchBytes) await this.flush();
    }
    await this.flush();
    return progressed;
  }

  /**
   * Decodes a tailer batch into entries, or into the target's sink, and sets the file's next
   * position.
   */
  private consume(st: FileState, b: LineBatch): void {
    st.lineStart = b.firstLineOffset;
    if (st.format === "auto" && b.count > 0) st.format = detectFormat(b.data, b.starts[0]!, b.ends[0]!);
    if (st.sink === undefined) this.decodeToEntries(st, b);
    else this.decodeToSink(st, st.sink, b);
    if (b.event !== undefined) {
      this.flushJoiner(st);
    }
    const pending = st.joiner.pendingStart();
    const pos = b.position;
    this.positions.set(
      st.path,
      pending !== undefined && pending < pos.offset ? { inode: pos.inode, offset: pending } : pos,
    );
  }

  /** The lines of a batch as {@link LogEntry}s (targets without a sink). */
  private decodeToEntries(st: FileState, b: LineBatch): void {
    const readNs = BigInt(Date.now()) * 1_000_000n;
    const data = b.data;
    const out = this.entries;
    for (let i = 0; i < b.count; i++) {
      const s = b.starts[i]!;
      const e = b.ends[i]!;
      const cut = b.truncated[i]!;
      this.pendingBytes += e - s;
      if (st.format === "raw" || st.format === "auto") {
        out.push(
          cut
            ? {
                path: st.path,
                labels: st.labels,
                tsNs: readNs,
                line: data.toString("utf8", s, e),
                truncated: true,
              }
            : { path: st.path, labels: st.labels, tsNs: readNs, line: data.toString("utf8", s, e) },
        );
      } else {
        const r: ParsedRecord = st.format === "cri" ? parseCriLine(data, s, e) : parseDockerLine(data, s, e);
        if (!r.ok) {
          this.malformed++;
          out.push({ path: st.path, labels: st.labels, tsNs: readNs, line: r.raw, error: r.error });
        } else {
          const j = st.joiner.push(r.stream, r.content, r.partial && !cut, r.tsNs, st.lineStart);
          if (j !== undefined) {
            const truncated = cut || j.truncated;
            if (j.truncated) this.joinCuts++;
            out.push(
              truncated
                ? {
                    path: st.path,
                    labels: st.labels,
                    tsNs: j.tsNs,
                    line: j.content,
                    stream: r.stream,
                    truncated,
                  }
                : { path: st.path, labels: st.labels, tsNs: j.tsNs, line: j.content, stream: r.stream },
            );
          }
        }
      }
      st.lineStart = b.offsets[i]!;
    }
  }

  /**
   * The lines of a batch into the target's sink. On the common path (CRI `F` with nothing pending
   * on its stream, raw, valid UTF-8) nothing is allocated per line: one {@link CriScan} is reused,
   * lines go out as ranges of the tailer's buffer, times as numbers.
   *
   * Malformed lines still become entries with `error`, handed over with the batch and so after the
   * sink's lines around them: the collector sends them with a `log_error` label, a stream of their
   * own, so the order within each stream holds.
   */
  private decodeToSink(st: FileState, sink: LineSink, b: LineBatch): void {
    const n = b.count;
    if (n === 0) return;
    const data = b.data;
    const format = st.format;
    const readMs = Date.now();
    // Newlines are ASCII: when the bytes from the first line's start to the last one's end are valid
    // UTF-8, so is each line among them, so one native check per batch does. Lines cut at
    // maxLineBytes are checked alone (the bytes skipped after a cut are in the buffer, so a cut
    // line inside the range does not spoil it; a cut last line is left out of it).
    const last = n - 1;
    const rangeEnd = b.truncated[last] ? b.starts[last]! : b.ends[last]!;
    const valid = format === "docker" || isUtf8(data.subarray(b.starts[0]!, rangeEnd));
    for (let i = 0; i < n; i++) {
      const s = b.starts[i]!;
      const e = b.ends[i]!;
      const cut = b.truncated[i]!;
      this.pendingBytes += e - s;
      if (format === "cri") this.criToSink(st, sink, data, s, e, cut, valid, readMs);
      else if (format === "docker") this.dockerToSink(st, sink, data, s, e, cut, readMs);
      else {
        bytesToSink(sink, st.labels, undefined, readMs, 0, data, s, e, cut, valid);
        this.sunk++;
      }
      st.lineStart = b.offsets[i]!;
    }
  }

  /** One CRI line of a sink target: bytes when it is a whole line, else through the joiner. */
  private criToSink(
    st: FileState,
    sink: LineSink,
    data: Buffer,
    s: number,
    e: number,
    cut: boolean,
    valid: boolean,
    readMs: number,
  ): void {
    const c = this.cri;
    if (!scanCriLine(data, s, e, c)) {
      this.malformedEntry(st, data.toString("utf8", s, e), c.error, readMs);
      return;
    }
    const stream = c.stream!;
    const partial = c.partial && !cut;
    const joiner = st.joiner;
    const whole = !partial && !(joiner.hasPending && joiner.isPending(stream));
    if (whole && e - c.contentStart <= this.o.maxJoinedBytes) {
      bytesToSink(sink, st.labels, stream, c.ms, c.subNs, data, c.contentStart, e, cut, valid);
      this.sunk++;
      return;
    }
    // A piece, the last piece, or a line over maxJoinedBytes (the joiner cuts it): rare, strings.
    const end = cut ? completeUtf8End(data, c.contentStart, e) : e;
    const content = data.toString("utf8", c.contentStart, end);
    const tsNs = BigInt(c.ms) * NS_PER_MS + BigInt(c.subNs);
    const j = joiner.push(stream, content, partial, tsNs, st.lineStart);
    if (j !== undefined) this.joinedToSink(st, sink, j);
  }

  /** One Docker json-file line of a sink target: always a string (JSON unescaping makes one). */
  private dockerToSink(
    st: FileState,
    sink: LineSink,
    data: Buffer,
    s: number,
    e: number,
    cut: boolean,
    readMs: number,
  ): void {
    const r = parseDockerLine(data, s, e);
    if (!r.ok) {
      this.malformedEntry(st, r.raw, r.error, readMs);
      return;
    }
    const j = st.joiner.push(r.stream, r.content, r.partial && !cut, r.tsNs, st.lineStart);
    if (j !== undefined) this.joinedToSink(st, sink, j);
  }

  private joinedToSink(st: FileState, sink: LineSink, j: JoinedLine): void {
    if (j.truncated) this.joinCuts++;
    this.sunk++;
    sink.text(st.labels, j.key as Stream, msOfNs(j.tsNs), subNsOfNs(j.tsNs), j.content);
  }

  /** A line of a sink target that does not follow its format: an entry, as for other targets. */
  private malformedEntry(st: FileState, raw: string, error: string, readMs: number): void {
    this.malformed++;
    this.entries.push({
      path: st.path,
      labels: st.labels,
      tsNs: BigInt(readMs) * NS_PER_MS,
      line: raw,
      error,
    });
  }

  private flushJoiner(st: FileState): void {
    const sink = st.sink;
    for (const j of st.joiner.flush()) {
      if (sink !== undefined) {
        this.joinedToSink(st, sink, j);
        continue;
      }
      if (j.truncated) this.joinCuts++;
      const stream = j.key as Stream;
      this.entries.push(
        j.truncated
          ? { path: st.path, labels: st.labels, tsNs: j.tsNs, line: j.content, stream, truncated: true }
          : { path: st.path, labels: st.labels, tsNs: j.tsNs, line: j.content, stream },
      );
    }
  }

  /** Hands the pending entries over, retrying until accepted or stopping. */
  private async flush(): Promise<void> {
    if (this.entries.length === 0 && this.positions.size === 0) return;
    const batch: EntryBatch = { entries: this.entries, positions: this.positions };
    this.entries = [];
    this.positions = new Map();
    this.pendingBytes = 0;
    for (;;) {
      try {
        await this.o.onEntries(batch);
        this.emitted += batch.entries.length;
        return;
      } catch (err) {
        this.opts.onError?.(err);
        if (this.stopping) return;
        await this.sleep(this.o.pollIntervalMs);
        if (this.stopping) return;
      }
    }
  }
}
