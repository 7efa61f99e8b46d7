import { join } from "node:path";
import type { ReplayReport, SyncMode } from "../../metrics/tsdb/wal/index.js";
import { RecordDecodeError } from "../../metrics/tsdb/wal/index.js";
import type { Matcher } from "../../model/matcher.js";
import type { LogMetadata } from "./block-payload.js";
import type { ChunkBuilderOptions } from "./chunk.js";
import { mergeStreams } from "./head-select.js";
import { type CutPolicy, HeadStream } from "./head-stream.js";
import { LogWAL, replayLogWAL, type WalEntry, type WalStream } from "./log-wal.js";
import type { LogQuerier, LogStreamStats, LogTimeRange, StreamLabels } from "./querier.js";
import { StreamIndex } from "./stream-index.js";
import { type MemChunk, sourceOverlaps, sourceStats } from "./stream-source.js";

/**
 * One tenant's log head: streams keyed by their sorted label set, each with an open buffer cut into
 * immutable in-memory chunks, a label index, and a write-ahead log (`docs/format/log-wal.md`) that
 * makes every acknowledged entry survive `kill -9`. Open it with {@link LogHead.open}, which replays
 * the WAL; write with {@link LogHead.append}; read through {@link LogHead.querier}.
 */

/** Why the head refused an entry. */
export type LogHeadRefusal =
  /** Older than the stream's newest entry minus the out-of-order window. */
  | "out_of_order"
  /** A label set that is empty, has a repeated or empty name, or an empty value. */
  | "invalid_labels"
  /** A timestamp that is not an int64 of nanoseconds. */
  | "invalid_timestamp"
  /** A new stream while the tenant already has the most active streams it may have. */
  | "stream_limit";

/** One entry to append. */
export interface LogHeadEntry {
  /** Unix nanoseconds (int64). */
  readonly tsNs: bigint;
  readonly line: string;
  /** Structured metadata pairs, if any. */
  readonly structuredMetadata?: LogMetadata | undefined;
}

/** One stream's entries to append. */
export interface LogHeadStreamInput {
  /** The stream's labels in any order; names unique, values non-empty. */
  readonly labels: readonly (readonly [string, string])[];
  /** Its entries, in the order they are to be applied. */
  readonly entries: readonly LogHeadEntry[];
}

/** What {@link LogHead.append} did. */
export interface LogAppendResult {
  /** Entries now durable and visible. */
  accepted: number;
  /** Entries equal to one the stream already has (same timestamp and line), dropped silently as Loki does. */
  duplicates: number;
  /** Entries refused, per reason; reasons that refused nothing are absent. */
  refusedByReason: Partial<Record<LogHeadRefusal, number>>;
  /** The first few refusal messages (at most 5). */
  errors: string[];
}

/** Options of {@link LogHead.open}. */
export interface LogHeadOptions {
  /**
   * How far behind a stream's newest entry an entry may be and still be accepted, nanoseconds.
   * Default 0: an entry older than the stream's newest is refused (`out_of_order`).
   */
  readonly outOfOrderWindowNs?: bigint;
  /** Cut a stream's open buffer into a chunk once it holds this many bytes of lines (default 1 MiB). */
  readonly chunkTargetBytes?: number;
  /** Cut before an entry that would make the open buffer span this long, ns (default 2 h). */
  readonly maxChunkSpanNs?: bigint;
  /** Codec, level and block size of the chunks (defaults of `ChunkBuilder`). */
  readonly chunk?: ChunkBuilderOptions;
  /** WAL segment size cap, bytes (default 128 MiB). */
  readonly walSegmentBytes?: number;
  /** `"never"` skips every sync: tests and benchmarks only (survives a process crash, not power loss). */
  readonly syncMode?: SyncMode;
  /**
   * WAL segments numbered below this are already in blocks on disk (`docs/format/log-block.md`):
   * replay skips them and the head deletes them once open.
   */
  readonly walSegmentsBelow?: number;
}

/** Per-call options of {@link LogHead.append}. */
export interface LogAppendOptions {
  /** Most streams the head may hold; a push creating more is refused `stream_limit` (0: no limit). */
  readonly maxStreams?: number;
  /** The setting that raises {@link maxStreams}, named in the refusal. */
  readonly maxStreamsSetting?: string;
}

/** What a flush takes out of the head: every chunk, by stream. See {@link LogHead.takeForFlush}. */
export interface HeadFlush {
  /** The WAL segments below this hold nothing that is not in {@link streams}. */
  readonly walSegmentsBelow: number;
  readonly streams: readonly {
    readonly labels: StreamLabels;
    readonly key: string;
    readonly chunks: readonly MemChunk[];
  }[];
}

const MAX_ERRORS = 5;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DEFAULT_CHUNK_TARGET_BYTES = 1024 * 1024;
const DEFAULT_MAX_CHUNK_SPAN_NS = 2n * 3600n * 1_000_000_000n;

/** The canonical selector text of sorted labels: `{a="1", b="2"}`. */
export function streamKey(labels: StreamLabels): string {
  return `{${labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(", ")}}`;
}

/** Sorts and checks labels; returns undefined when they are not a valid stream label set. */
function normalizeLabels(labels: readonly (readonly [string, string])[]): StreamLabels | undefined {
  if (labels.length === 0) return undefined;
  const sorted = labels
    .map(([n, v]) => [n, v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const [n, v] = sorted[i]!;
    if (n === "" || v === "" || (i > 0 && sorted[i - 1]![0] === n)) return undefined;
  }
  return sorted;
}

/** Counters of a head. */
export interface LogHeadStats {
  streams: number;
  chunks: number;
  /** Entries in memory (chunks and open buffers). */
  entries: number;
}

/** One tenant's log head; see the file comment. */
export class LogHead {
  readonly #byKey = new Map<string, HeadStream>();
  readonly #byId = new Map<number, HeadStream>();
  #index = new StreamIndex();
  readonly #policy: CutPolicy;
  readonly #window: bigint;
  #nextId = 1;
  #wal: LogWAL | undefined;
  #closed = false;
  /** Appends whose WAL write is in flight (they resolve once applied). */
  readonly #inflight = new Set<Promise<void>>();
  /** Set while a flush freezes the head: appends wait for it. */
  #frozen: Promise<void> | undefined;
  /** Bytes of lines in memory. */
  #memBytes = 0;
  /** When the first entry since the last flush was accepted (ms), if any. */
  #dirtySinceMs: number | undefined;
  /** What replay read and dropped when the head was opened. */
  replayReport: ReplayReport | undefined;

  private constructor(opts: LogHeadOptions) {
    this.#window = opts.outOfOrderWindowNs ?? 0n;
    if (this.#window < 0n) throw new RangeError("outOfOrderWindowNs must be ≥ 0");
    this.#policy = {
      targetBytes: opts.chunkTargetBytes ?? DEFAULT_CHUNK_TARGET_BYTES,
      maxSpanNs: opts.maxChunkSpanNs ?? DEFAULT_MAX_CHUNK_SPAN_NS,
      chunk: opts.chunk ?? {},
    };
  }

  /**
   * Opens the head stored in `dir` (its WAL is `dir/wal`), creating it if absent: replays the WAL —
   * a torn tail of the last segment is cut off and reported in {@link replayReport}; damage anywhere
   * else throws `WALCorruptionError` naming the segment and offset — then opens it for appending.
   */
  static async open(dir: string, opts: LogHeadOptions = {}): Promise<LogHead> {
    const head = new LogHead(opts);
    const walDir = join(dir, "wal");
    const syncMode = opts.syncMode ?? "always";
    const skipBelow = opts.walSegmentsBelow ?? 0;
    head.replayReport = await replayLogWAL(
      walDir,
      (rec, pos) => {
        if (pos.segment < skipBelow) return;
        if (rec.type === "streams") {
          for (const s of rec.streams) head.#replayStream(s);
        } else {
          for (const e of rec.entries) head.#replayEntry(e);
        }
      },
      { syncMode },
    );
    head.#wal = await LogWAL.open(walDir, {
      syncMode,
      verifiedEnd: head.replayReport.verifiedEnd,
      ...(opts.walSegmentBytes === undefined ? {} : { segmentBytes: opts.walSegmentBytes }),
    });
    if (skipBelow > 0) await head.#wal.truncate(Math.min(skipBelow, head.#wal.currentSegment));
    return head;
  }

  #replayStream(s: WalStream): void {
    const key = streamKey(s.labels);
    // A flush re-declares the streams it keeps at the start of the next segment; a replay that also
    // read the segments before (the block was not written) sees them twice.
    if (this.#byId.get(s.id)?.key === key) return;
    if (this.#byId.has(s.id) || this.#byKey.has(key)) {
      throw new RecordDecodeError(0, `stream ${s.id} ${key} is declared twice`);
    }
    const stream = new HeadStream(s.id, key, s.labels);
    this.#byId.set(s.id, stream);
    this.#byKey.set(key, stream);
    this.#nextId = Math.max(this.#nextId, s.id + 1);
  }

  #replayEntry(e: WalEntry): void {
    const stream = this.#byId.get(e.id);
    if (stream === undefined)
      throw new RecordDecodeError(0, `entry of stream ${e.id}, which was never declared`);
    stream.noteAccepted(e.tsNs, e.line);
    this.#apply(stream, e);
  }

  /** Applies an entry whose WAL write resolved (the WAL's entry object is kept as the head's). */
  #apply(stream: HeadStream, e: WalEntry): void {
    if (!stream.indexed) {
      this.#index.add(stream.id, stream.labels);
      stream.indexed = true;
    }
    stream.insert(e, this.#policy);
    stream.active = true;
    this.#memBytes += e.line.length;
    this.#dirtySinceMs ??= Date.now();
  }

  /**
   * Appends `streams`' entries. Each entry is checked against its stream (order, out-of-order window,
   * duplicates) in the order given; the accepted ones are written to the WAL and the promise resolves
   * once they are `fdatasync`'d — only then are they visible to queries. Refusals do not fail the call;
   * a WAL failure rejects it (nothing of it is acknowledged) and every later call.
   */
  async append(
    streams: readonly LogHeadStreamInput[],
    opts: LogAppendOptions = {},
  ): Promise<LogAppendResult> {
    while (this.#frozen !== undefined) await this.#frozen;
    if (this.#closed || this.#wal === undefined) throw new Error("LogHead.append after close");
    const maxStreams = opts.maxStreams ?? 0;
    const result: LogAppendResult = { accepted: 0, duplicates: 0, refusedByReason: {}, errors: [] };
    const refuse = (reason: LogHeadRefusal, n: number, msg: () => string): void => {
      result.refusedByReason[reason] = (result.refusedByReason[reason] ?? 0) + n;
      if (result.errors.length < MAX_ERRORS) result.errors.push(msg());
    };
    const created: WalStream[] = [];
    const logged: WalEntry[] = [];
    const targets: HeadStream[] = [];
    for (const input of streams) {
      if (input.entries.length === 0) continue;
      const labels = normalizeLabels(input.labels);
      if (labels === undefined) {
        refuse("invalid_labels", input.entries.length, () => {
          const text = JSON.stringify(input.labels);
          return `stream ${text}: a stream needs at least one label, unique non-empty names and non-empty values`;
        });
        continue;
      }
      const key = streamKey(labels);
      let stream = this.#byKey.get(key);
      for (const e of input.entries) {
        const ts = e.tsNs;
        if (typeof ts !== "bigint" || ts < INT64_MIN || ts > INT64_MAX) {
          refuse(
            "invalid_timestamp",
            1,
            () => `stream ${key}: timestamp ${String(ts)} is not an int64 of nanoseconds`,
          );
          continue;
        }
        if (stream !== undefined && stream.lastTs !== undefined) {
          const last = stream.lastTs;
          if (ts < last - this.#window) {
            refuse("out_of_order", 1, () =>
              this.#window === 0n
                ? `stream ${key}: entry at ${ts} ns is older than the stream's newest at ${last} ns; ` +
                  "raise outOfOrderWindowNs to accept late entries"
                : `stream ${key}: entry at ${ts} ns is more than the out-of-order window (${this.#window} ns, ` +
                  `outOfOrderWindowNs) behind the stream's newest at ${last} ns`,
            );
            continue;
          }
          if (ts === last ? e.line === stream.lastLine : ts < last && stream.hasOpen(ts, e.line)) {
            result.duplicates++;
            continue;
          }
        }
        if (stream === undefined) {
          if (maxStreams > 0 && this.#byKey.size >= maxStreams) {
            refuse("stream_limit", input.entries.length, () => {
              const setting = opts.maxStreamsSetting ?? "maxStreams";
              return `stream ${key}: the tenant already has ${this.#byKey.size} active streams, the most it may have (${setting}); reduce the number of label values or raise ${setting}`;
            });
            break;
          }
          stream = new HeadStream(this.#nextId++, key, labels);
          this.#byKey.set(key, stream);
          this.#byId.set(stream.id, stream);
          created.push({ id: stream.id, labels });
        }
        stream.noteAccepted(ts, e.line);
        const metadata =
          e.structuredMetadata !== undefined && e.structuredMetadata.length > 0
            ? e.structuredMetadata
            : undefined;
        // One object per entry: the WAL's, the pending list's and, once applied, the head's.
        const entry: WalEntry = { id: stream.id, tsNs: ts, line: e.line, metadata };
        stream.pending.push(entry);
        logged.push(entry);
        targets.push(stream);
      }
    }
    if (logged.length === 0) return result;
    // WAL promises resolve in call order, so pushes are applied in the order they were logged,
    // and each stream's pending entries leave in the order they came.
    const done = this.#wal.logPush(created, logged).then(() => {
      const applied = new Map<HeadStream, number>();
      for (let i = 0; i < logged.length; i++) {
        const e = logged[i]!;
        const stream = targets[i]!;
        applied.set(stream, (applied.get(stream) ?? 0) + 1);
        this.#apply(stream, e);
      }
      for (const [stream, n] of applied) stream.pending.splice(0, n);
    });
    this.#inflight.add(done);
    const forget = (): void => {
      this.#inflight.delete(done);
    };
    done.then(forget, forget);
    await done;
    result.accepted = logged.length;
    return result;
  }

  /** Bytes of lines the head holds in memory. */
  get memBytes(): number {
    return this.#memBytes;
  }

  /** When the oldest entry not yet flushed was accepted (Unix ms), or undefined when there is none. */
  get dirtySinceMs(): number | undefined {
    return this.#dirtySinceMs;
  }

  /**
   * Freezes the head for a moment to take everything it holds out for a block
   * (`docs/format/log-block.md`, step 1): waits for appends in flight, cuts the WAL, re-declares the
   * streams kept (those that received entries since the previous flush; idle ones are dropped) at the
   * start of the new segment, cuts every open buffer into a chunk and hands all chunks to `publish` —
   * called synchronously as they leave the head, so that a reader never finds them in neither place.
   * Appends called meanwhile wait, then go on. Resolves false (without calling `publish`) when the
   * head holds nothing.
   */
  async takeForFlush(publish: (taken: HeadFlush) => void): Promise<boolean> {
    if (this.#closed || this.#wal === undefined) throw new Error("LogHead.takeForFlush after close");
    while (this.#frozen !== undefined) await this.#frozen;
    let thaw!: () => void;
    this.#frozen = new Promise<void>((resolve) => {
      thaw = resolve;
    });
    try {
      await Promise.allSettled([...this.#inflight]);
      const all = [...this.#byId.values()];
      if (all.every((s) => s.entryCount === 0)) return false;
      // Nothing changes the streams while the head is frozen, so what is kept can be chosen first.
      const kept = all.filter((s) => s.active);
      const walSegmentsBelow = await this.#wal.cut();
      if (kept.length > 0) {
        await this.#wal.logPush(
          kept.map((s) => ({ id: s.id, labels: s.labels })),
          [],
        );
      }
      // From here on synchronous: the chunks leave the head and reach `publish` in one turn.
      const streams: { labels: StreamLabels; key: string; chunks: MemChunk[] }[] = [];
      for (const s of all) {
        s.cut(this.#policy);
        if (s.chunks.length > 0) streams.push({ labels: s.labels, key: s.key, chunks: s.chunks });
        s.chunks = [];
        s.active = false;
      }
      this.#rebuild(kept);
      this.#memBytes = 0;
      this.#dirtySinceMs = undefined;
      streams.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      publish({ walSegmentsBelow, streams });
      return true;
    } finally {
      this.#frozen = undefined;
      thaw();
    }
  }

  /** Deletes the WAL segments below `n` once a block holding them is on disk. */
  async truncateWal(n: number): Promise<void> {
    if (this.#wal === undefined || this.#closed) return;
    await this.#wal.truncate(Math.min(n, this.#wal.currentSegment));
  }

  /** Keeps only `streams` (in id order) in the maps and the label index. */
  #rebuild(streams: readonly HeadStream[]): void {
    this.#byId.clear();
    this.#byKey.clear();
    this.#index = new StreamIndex();
    for (const s of streams) {
      this.#byId.set(s.id, s);
      this.#byKey.set(s.key, s);
      s.indexed = false;
    }
  }

  /** A read view; see {@link LogQuerier}. Reads see what was applied when each call is made. */
  querier(): LogQuerier {
    return {
      select: (matchers, fromNs, toNs, direction, limit, hint) =>
        toAsync(mergeStreams(this.#streams(matchers), fromNs, toNs, direction, limit, hint?.lineContains)),
      labelNames: async (matchers, range) => {
        if ((matchers === undefined || matchers.length === 0) && range === undefined)
          return this.#index.labelNames();
        const names = new Set<string>();
        for (const s of this.#streams(matchers ?? [], range)) for (const [n] of s.labels) names.add(n);
        return [...names].sort();
      },
      labelValues: async (name, matchers, range) => {
        if ((matchers === undefined || matchers.length === 0) && range === undefined)
          return this.#index.labelValues(name);
        const values = new Set<string>();
        for (const s of this.#streams(matchers ?? [], range)) {
          for (const [n, v] of s.labels) if (n === name) values.add(v);
        }
        return [...values].sort();
      },
      series: async (matchers, range) => sortByKey(this.#streams(matchers, range)).map((s) => s.labels),
      stats: async (matchers, fromNs, toNs) => {
        const out: LogStreamStats[] = [];
        for (const s of sortByKey(this.#streams(matchers))) {
          const st = sourceStats(s, fromNs, toNs);
          if (st.chunks > 0) out.push({ labels: s.labels, ...st });
        }
        return out;
      },
    };
  }

  /** The streams the matchers select that hold entries (every one for no matchers), for a store-wide merge. */
  streamSources(matchers: readonly Matcher[]): HeadStream[] {
    return this.#streams(matchers);
  }

  /** The applied streams the matchers select (every stream for none), with data in `range` if given. */
  #streams(matchers: readonly Matcher[], range?: LogTimeRange): HeadStream[] {
    const ids = matchers.length === 0 ? [...this.#byId.keys()] : this.#index.select(matchers);
    const out: HeadStream[] = [];
    for (const id of ids) {
      const s = this.#byId.get(id)!;
      if (!s.indexed) continue;
      if (range === undefined || sourceOverlaps(s, range.fromNs, range.toNs)) out.push(s);
    }
    return out;
  }

  /** Counters (streams with entries, chunks cut, entries in memory). */
  stats(): LogHeadStats {
    let chunks = 0;
    let entries = 0;
    let streams = 0;
    for (const s of this.#byId.values()) {
      if (!s.indexed) continue;
      streams++;
      chunks += s.chunks.length;
      entries += s.entryCount;
    }
    return { streams, chunks, entries };
  }

  /** The WAL's counters (commits, batches, syncs, bytes, cuts). */
  walStats(): LogWAL["stats"] | undefined {
    return this.#wal?.stats;
  }

  /** Waits for pending appends to be durable, then closes the WAL. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#wal?.close();
  }
}

function sortByKey(streams: HeadStream[]): HeadStream[] {
  return streams.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Wraps a generator as an async iterator (one object per entry, as `for await` expects). */
async function* toAsync<T>(gen: Generator<T>): AsyncGenerator<T> {
  try {
    yield* gen;
  } finally {
    gen.return(undefined);
  }
}
