import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { hashLabels } from "../../../model/label-hash.js";
import type { Labels } from "../../../model/labels.js";
import type { SeriesLimiter } from "../../limits/index.js";
import { AppendError, type LabelView } from "../../storage/interface.js";
import type { XorChunkAppender } from "../chunk/index.js";
import {
  type CheckpointResult,
  type DecodedSeries,
  decodeSamples,
  decodeSeries,
  decodeTruncation,
  RecordDecodeError,
  RecordType,
  recordType,
  replay,
  SampleBatch,
  type SampleColumns,
  type SyncMode,
  type TruncationEntry,
  type VerifiedEnd,
  WAL,
  type WALOptions,
  writeCheckpoint,
} from "../wal/index.js";
import { AppendFence } from "./append-fence.js";
import { ScratchPool } from "./append-scratch.js";
import { copyBytes } from "./byte-slab.js";
import { type BlockSourceHead, HeadBlockSource } from "./head-block-source.js";
import { type CheckpointHead, checkpointRecords, type HeadCut } from "./head-checkpoint.js";
import type { OooSlice } from "./head-iterator.js";
import { HeadPostings } from "./head-postings.js";
import { OooBuffer, sameBitsAt } from "./ooo-buffer.js";
import { type ChunkEncoder, chunkEncoder, defaultReplayThreads } from "./replay-encoder.js";
import { appendSample, type ChunkColumns } from "./series-chunks.js";
import { countColumns, type SeriesColumns, trimColumns } from "./series-columns.js";
import { EMPTY_SLOT, SeriesHashIndex } from "./series-hash-index.js";
import { SymbolTable } from "./symbol-table.js";
import { WireLabelCache } from "./wire-label-cache.js";

/** The default block range: 2 h, in ms, as Prometheus's. */
export const DEFAULT_BLOCK_DURATION_MS = 7_200_000;

/** Options of {@link Head.open} and {@link Head.create}. */
export interface HeadOptions {
  /** Counts the tenant's series against its limits; the head admits every new series through it. */
  readonly limiter: SeriesLimiter;
  /**
   * How far behind a series' newest sample (ms) a late sample is still accepted into the series'
   * out-of-order buffer; 0 refuses every late sample. Also applied when the WAL is replayed.
   */
  readonly outOfOrderWindowMs: number;
  /** The setting that changes the window, named in refusals. Default `metrics.limits.out_of_order_window`. */
  readonly outOfOrderSetting?: string;
  /** WAL segment size cap, bytes (default: the WAL's, 128 MiB). */
  readonly walSegmentBytes?: number;
  /** `"never"` skips every fsync: tests and benchmarks only. Default `"always"`. */
  readonly syncMode?: SyncMode;
  /**
   * The length of a block range, ms (default {@link DEFAULT_BLOCK_DURATION_MS}). Ranges are aligned
   * to multiples of it from the epoch; no chunk holds samples of two ranges, so blocks take the
   * head's chunks as they are.
   */
  readonly blockDurationMs?: number;
  /**
   * A truncation bound to start from, ms: the end of the newest block when the DB opens the head.
   * Replay drops older samples — they are in blocks, even if a crash came before the truncation
   * that followed the block's write had written its checkpoint. Default: none.
   */
  readonly minValidTime?: number;
  /**
   * Worker threads that encode the chunks while the WAL replays (most of a replay's work); 0 keeps
   * it on the opening thread. Default: none for a WAL under 32 MiB, else one per other CPU, up to 4
   * (`replay-encoder.ts`). Running from TypeScript sources (tests), the opening thread does it.
   */
  readonly replayThreads?: number;
}

/** What {@link Head.truncate} did. */
export interface TruncateResult {
  /** The truncation bound now in force, ms: the head holds and accepts no older sample. */
  readonly mint: number;
  /** Series removed because they had no sample left. */
  readonly removedSeries: number;
  /** Samples dropped from memory (those of the removed series included). */
  readonly removedSamples: number;
  /** The WAL checkpoint written after the truncation. */
  readonly checkpoint: CheckpointResult;
}

/** A full chunk of a series, kept in memory for now (head chunk files come later). */
export interface ClosedChunk {
  /** The XOR chunk data (`docs/format/chunks.md`); never changes. */
  readonly bytes: Uint8Array;
  /** First and last timestamp, ms. */
  readonly minT: number;
  readonly maxT: number;
}

/** What a read of one series sees: its chunks overlapping the range and its late samples in it. */
export interface SeriesSnapshot {
  /** Chunk data in time order; the last may be a private copy of the open chunk. */
  readonly chunks: Uint8Array[];
  /** Out-of-order samples within the range, if any. */
  readonly ooo: OooSlice | undefined;
  /**
   * Whether the series surely has a sample in the range: a chunk's first or last sample, or a late
   * sample, lies in it. When false, only decoding the chunks (each spanning the whole range) tells.
   */
  readonly surelyInRange: boolean;
}

/**
 * The in-memory head of ONE tenant's TSDB (ADR 0007, "columnar head"): series are dense integer
 * refs; per-series state lives in columns indexed by ref — labels, newest timestamp and value
 * (`Float64Array`s, so NaN payloads such as the stale marker survive), the open XOR chunk, the
 * closed chunks and the out-of-order buffer. Durability comes from the WAL in `<dir>/wal`: callers
 * log a batch there first and {@link apply} it as soon as the log resolved — in log order, and
 * without awaiting anything in between (the checkpoint of {@link truncate} relies on every batch
 * logged before a WAL cut being applied when the cut resolves) — so replaying the WAL rebuilds
 * exactly this state.
 *
 * Samples are applied by one rule, at commit and at replay alike: older than {@link minValidTime}
 * → dropped; newer than the series' newest → appended (a new chunk is cut at
 * {@link XOR_CHUNK_TARGET_SAMPLES} samples, before the chunk could pass {@link XOR_CHUNK_MAX_BYTES},
 * and when the sample falls into a later block range than the chunk's first one); same timestamp
 * and bits → nothing; same timestamp, other bits → dropped; older but within the out-of-order
 * window → the out-of-order buffer (unless it holds that timestamp already: same bits → nothing,
 * other bits → dropped); older still → dropped. A late sample is not compared with the chunks: if
 * a chunk holds its timestamp, reads return the chunk's sample (it still counts in {@link samples}).
 * Drops happen when concurrent appenders raced (the appender refuses such samples when they are
 * appended), when a late sample meets another value already buffered for its timestamp (the
 * appender does not check the buffer), or when a truncation overtook a commit; they are counted in
 * {@link dropped}. The window in force is used at replay too.
 *
 * Once blocks hold everything before some time, {@link truncate} drops it from memory, removes the
 * series left without samples and replaces the old WAL segments by a checkpoint. Refs are never
 * reused. A commit that was under way with the ref of a series the truncation removed still lands:
 * its samples go to the series now carrying those labels, or bring the removed one back under its
 * old ref (see {@link truncate}).
 */
export class Head implements BlockSourceHead, CheckpointHead {
  /** The head's inverted index over its series. */
  readonly postings = new HeadPostings();
  /** Appenders' working memory, reused from batch to batch. */
  readonly scratch = new ScratchPool();
  #labels: (Labels | undefined)[] = [];
  /** Label-set hash → ref: finds a series from its labels or from a write's raw label bytes. */
  readonly #index = new SeriesHashIndex();
  /** The bytes each series' labels last arrived as, to recognise it cheaply. */
  readonly #wire = new WireLabelCache();
  /** One copy of each label string the series share. */
  readonly #symbols = new SymbolTable();
  #lastT = new Float64Array(64).fill(Number.NEGATIVE_INFINITY);
  #lastV = new Float64Array(64);
  #open: (XorChunkAppender | undefined)[] = [];
  #closed: (ClosedChunk[] | undefined)[] = [];
  /** The two columns above, as the chunk rule takes them (`series-chunks.ts`). */
  readonly #cols: ChunkColumns = { open: this.#open, closed: this.#closed };
  #ooo: (OooBuffer | undefined)[] = [];
  #nextRef = 0;
  #samples = 0;
  #dropped = 0;
  #wal: Promise<WAL> | undefined;
  /** The truncation bound: no sample older is held or accepted. */
  #minValidTime = Number.NEGATIVE_INFINITY;
  /** The fence below which appends are refused, and the appenders at work. */
  readonly #appends = new AppendFence();
  /** Oldest and newest timestamp held, ms (±Infinity when empty); exact after a truncation. */
  #minT = Number.POSITIVE_INFINITY;
  #maxT = Number.NEGATIVE_INFINITY;
  /**
   * Series removed by the latest truncation (and, until its WAL cut, by the one before), by ref:
   * a commit under way may still log samples for them. See {@link truncate}. During replay: refs
   * whose SERIES record named labels an older ref already carried.
   */
  #dead = new Map<number, Labels>();
  /** True while a checkpoint's records are replayed: late samples skip the window check. */
  #replayingCheckpoint = false;
  /** During replay: where samples that extend a series' chunks go (see {@link #replaySamples}). */
  #encoder: ChunkEncoder | undefined;
  /** The truncation in progress (truncations run one at a time). */
  #truncating: Promise<unknown> = Promise.resolve();
  readonly #blockMs: number;

  private constructor(
    /** The head's directory; the WAL is in `<dir>/wal`. */
    readonly dir: string,
    private readonly opts: HeadOptions,
  ) {
    const block = opts.blockDurationMs ?? DEFAULT_BLOCK_DURATION_MS;
    if (!Number.isSafeInteger(block) || block <= 0) {
      throw new RangeError(`Head blockDurationMs ${block} is invalid: use a whole number of ms above 0`);
    }
    this.#blockMs = block;
    const bound = opts.minValidTime;
    if (bound !== undefined) {
      if (!Number.isSafeInteger(bound)) {
        throw new RangeError(`Head minValidTime ${bound} is invalid: use a whole number of ms`);
      }
      this.#minValidTime = bound;
    }
  }

  /**
   * Opens the head in `dir`: replays `<dir>/wal` — its checkpoint, then the segments after it —
   * and opens the WAL for writing. A TRUNCATION record restores the truncation bound and the ref
   * counter; SERIES records recreate series under their refs (a checkpoint's once their first
   * sample comes; one naming labels another ref already carries is folded into that series, as
   * the live head did); SAMPLES records are applied bit for bit by the rule of the class comment,
   * except that a checkpoint's late samples go to the out-of-order buffer whatever the window (they
   * were accepted once). Series left without a sample are then dropped. A torn WAL tail is cut off; corruption elsewhere, or a record type the head
   * does not write, throws the WAL's `WALCorruptionError`.
   */
  static async open(dir: string, opts: HeadOptions): Promise<Head> {
    const head = new Head(dir, opts);
    const walDir = join(dir, "wal");
    const batch = new SampleBatch();
    const series: DecodedSeries[] = [];
    const threads = opts.replayThreads ?? defaultReplayThreads(await walBytes(walDir));
    const encoder = chunkEncoder(head.#cols, head.#blockMs, threads);
    head.#encoder = encoder;
    let verifiedEnd: VerifiedEnd | undefined;
    try {
      ({ verifiedEnd } = await replay(
        walDir,
        (record, pos) => {
          head.#replayingCheckpoint = pos.checkpoint !== undefined;
          const type = recordType(record);
          if (type === RecordType.Samples) {
            head.#replaySamples(decodeSamples(record, batch));
            return encoder.backlog();
          }
          if (type === RecordType.Series) {
            series.length = 0;
            for (const s of decodeSeries(record, series)) head.#replaySeries(s);
          } else if (type === RecordType.Truncation) {
            head.#replayTruncation(decodeTruncation(record));
          } else {
            throw new RecordDecodeError(0, `record type ${type} is not one the head writes`);
          }
          return undefined;
        },
        { syncMode: opts.syncMode ?? "always" },
      ));
      await encoder.finish();
    } finally {
      head.#encoder = undefined;
      await encoder.close();
    }
    head.#replayingCheckpoint = false;
    head.#finishReplay();
    const wal = WAL.open(walDir, walOptions(opts, verifiedEnd));
    head.#wal = wal;
    await wal;
    return head;
  }

  /**
   * A new, empty head for a directory without a WAL, usable at once: its WAL is created in the
   * background and {@link wal} waits for it (a failure to create it surfaces there, at commit).
   */
  static create(dir: string, opts: HeadOptions): Head {
    const head = new Head(dir, opts);
    const wal = WAL.open(join(dir, "wal"), walOptions(opts, undefined));
    // Observed at commit; do not let an early failure be reported as unhandled.
    wal.catch(() => {});
    head.#wal = wal;
    return head;
  }

  /** The WAL, once open. Log a batch here before {@link apply}ing it. */
  wal(): Promise<WAL> {
    return this.#wal ?? Promise.reject(new Error(`Head ${this.dir}: the WAL is not open yet`));
  }

  /** The out-of-order window, ms. */
  get outOfOrderWindowMs(): number {
    return this.opts.outOfOrderWindowMs;
  }

  /** The setting that changes the out-of-order window, for error messages. */
  get outOfOrderSetting(): string {
    return this.opts.outOfOrderSetting ?? "metrics.limits.out_of_order_window";
  }

  /** Number of series. */
  get seriesCount(): number {
    return this.#index.size;
  }

  /** One past the highest ref ever given out; refs below it may name a series. */
  get refLimit(): number {
    return this.#nextRef;
  }

  /** Samples held (in chunks and out-of-order buffers). */
  get samples(): number {
    return this.#samples;
  }

  /**
   * Logged samples that {@link apply} dropped: made invalid by a concurrent commit, or older than
   * {@link minValidTime} once a truncation overtook their commit.
   */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * The truncation bound, ms: the head holds no sample older and drops any applied later (an
   * appender should refuse them up front). −Infinity until the first {@link truncate}; restored
   * from the WAL checkpoint on open.
   */
  get minValidTime(): number {
    return this.#minValidTime;
  }

  /** The oldest timestamp an appender may still accept, ms: the greater of the bound and the fence. */
  get appendableMinTime(): number {
    return Math.max(this.#minValidTime, this.#appends.at);
  }

  /**
   * Refuses appends of samples older than `t` from now on (never lowered): called before a block
   * range ending at `t` is read from the head, with {@link appendersSettled}, so that the block misses
   * nothing that will be acknowledged.
   */
  fence(t: number): void {
    this.#appends.raise(t);
  }

  /** Notes that `appender` holds unapplied samples, the oldest at `minT` (called as it appends). */
  track(appender: object, minT: number): void {
    this.#appends.track(appender, minT);
  }

  /** Notes that `appender` holds nothing any more (applied or rolled back). */
  untrack(appender: object): void {
    this.#appends.untrack(appender);
  }

  /** Resolves when no appender holds an unapplied sample older than `t`. */
  appendersSettled(t: number): Promise<void> {
    return this.#appends.settled(t);
  }

  /** The length of a block range, ms; chunks never straddle a multiple of it. */
  get blockDurationMs(): number {
    return this.#blockMs;
  }

  /**
   * The oldest timestamp of the samples held, ms; +Infinity when none. Kept up to date as samples
   * arrive (no scan); recomputed exactly by {@link truncate}.
   */
  minTime(): number {
    return this.#minT;
  }

  /** The newest timestamp of the samples held, ms; −Infinity when none. */
  maxTime(): number {
    return this.#maxT;
  }

  /** The ref of the series with these labels (whose `hashLabels` is `hash`), or -1. */
  refOf(labels: Labels, hash: number = hashLabels(labels)): number {
    return this.#index.find(hash, (ref) => this.#labels[ref]!.equals(labels));
  }

  /**
   * The ref of the series `view` names, or -1; builds no string (the ingest hot path). A series is
   * recognised by the bytes its labels last came as when the view has them, else label by label
   * (and then those bytes are remembered for next time).
   */
  refOfView(view: LabelView): number {
    const index = this.#index;
    const hash = view.hash;
    const ws = view.wireStart;
    for (let s = index.first(hash); ; s = index.next(s)) {
      const ref = index.refAt(s);
      if (ref === EMPTY_SLOT) return -1;
      if (ref < 0 || index.hashAt(s) !== hash) continue;
      if (ws >= 0 && this.#wire.matches(ref, view.wireBuffer, ws, view.wireEnd)) return ref;
      if (view.equals(this.#labels[ref]!)) {
        if (ws >= 0) this.#wire.remember(ref, view.wireBuffer, ws, view.wireEnd);
        return ref;
      }
    }
  }

  /** Remembers `wire` as the bytes the labels of series `ref` came as (see {@link refOfView}). */
  rememberWire(ref: number, wire: Uint8Array): void {
    this.#wire.remember(ref, wire, 0, wire.length);
  }

  /** The labels of series `ref`, or undefined if there is none. */
  labelsOf(ref: number): Labels | undefined {
    return this.#labels[ref];
  }

  /** The newest timestamp of series `ref`, ms; −Infinity while it has no sample. */
  lastT(ref: number): number {
    return this.#lastT[ref] ?? Number.NEGATIVE_INFINITY;
  }

  /** Whether the newest value of series `ref` has the same bits as `vs[at]`. */
  sameLastValue(ref: number, vs: Float64Array, at: number): boolean {
    return sameBitsAt(this.#lastV, ref, vs, at);
  }

  /** Counts a series about to be created against the limits; throws AppendError("limit") if refused. */
  admit(labels: Labels): void {
    const problem = this.opts.limiter.admit(labels);
    if (problem !== undefined) throw new AppendError("limit", problem);
  }

  /** Uncounts an admitted series that was not created after all. */
  release(labels: Labels): void {
    this.opts.limiter.release(labels);
  }

  /**
   * Creates a series (already admitted) under the next ref and returns the ref. It has no samples,
   * so no read returns it yet. The caller logs its SERIES record before any later log call.
   */
  createSeries(labels: Labels, hash: number = hashLabels(labels)): number {
    const ref = this.#nextRef;
    this.#add(ref, labels, hash);
    return ref;
  }

  /** Applies a logged batch: sample `i` goes to series `refs[i]`, by the rule in the class comment. */
  apply(batch: SampleColumns): void {
    const { refs, ts, values } = batch;
    for (let i = 0; i < batch.length; i++) this.#appendOne(refs[i]!, ts[i]!, values, i);
  }

  /**
   * What a read of series `ref` over `[mint, maxt]` (ms, inclusive) sees, taken now: later appends
   * do not change it. Undefined when the series has no chunk or late sample overlapping the range.
   */
  snapshot(ref: number, mint: number, maxt: number): SeriesSnapshot | undefined {
    const chunks: Uint8Array[] = [];
    let edge = false;
    for (const c of this.#closed[ref] ?? []) {
      if (c.maxT >= mint && c.minT <= maxt) {
        chunks.push(c.bytes);
        if (c.minT >= mint || c.maxT <= maxt) edge = true;
      }
    }
    const open = this.#open[ref];
    if (open !== undefined && open.numSamples > 0 && open.maxT >= mint && open.minT <= maxt) {
      chunks.push(copyBytes(open.bytes()));
      if (open.minT >= mint || open.maxT <= maxt) edge = true;
    }
    const ooo = this.#ooo[ref]?.slice(mint, maxt);
    if (chunks.length === 0 && ooo === undefined) return undefined;
    return { chunks, ooo, surelyInRange: edge || ooo !== undefined };
  }

  /** Whether series `ref` may have a sample in `[mint, maxt]` (ms, inclusive): cheap, no decoding. */
  overlaps(ref: number, mint: number, maxt: number): boolean {
    if (this.#labels[ref] === undefined) return false;
    // Every sample of a series, late ones included, is at most its newest.
    if (this.#lastT[ref]! < mint) return false;
    const first = this.#closed[ref]?.[0]?.minT ?? this.#open[ref]?.minT ?? Number.POSITIVE_INFINITY;
    return Math.min(first, this.#ooo[ref]?.minT ?? Number.POSITIVE_INFINITY) <= maxt;
  }

  /**
   * The chunks of series `ref` overlapping `[mint, maxt]` (ms, inclusive), in time order, with their
   * time ranges — closed chunks shared (they never change), the open one as a copy — and its
   * out-of-order samples in the range; undefined when there are neither.
   */
  chunksIn(
    ref: number,
    mint: number,
    maxt: number,
  ): { chunks: ClosedChunk[]; ooo: OooSlice | undefined } | undefined {
    const chunks: ClosedChunk[] = [];
    for (const c of this.#closed[ref] ?? []) if (c.maxT >= mint && c.minT <= maxt) chunks.push(c);
    const open = this.#open[ref];
    if (open !== undefined && open.numSamples > 0 && open.maxT >= mint && open.minT <= maxt) {
      chunks.push({ bytes: open.bytes().slice(), minT: open.minT, maxT: open.maxT });
    }
    const ooo = this.#ooo[ref]?.slice(mint, maxt);
    if (chunks.length === 0 && ooo === undefined) return undefined;
    return { chunks, ooo };
  }

  /**
   * Chunk `i` of series `ref`: its closed chunks first, oldest first, then its open chunk (a view of
   * the appender's buffer, valid until the series' next append); undefined past the end.
   */
  chunkBytes(ref: number, i: number): Uint8Array | undefined {
    const closed = this.#closed[ref];
    const n = closed?.length ?? 0;
    if (i < n) return closed![i]!.bytes;
    return i === n ? this.#open[ref]?.bytes() : undefined;
  }

  /**
   * The head's data in the block range `[mint, maxt)` (ms; `maxt` exclusive, normally multiples of
   * {@link blockDurationMs}) for the block writer: see {@link HeadBlockSource}.
   */
  blockSource(mint: number, maxt: number): HeadBlockSource {
    return new HeadBlockSource(this, mint, maxt);
  }

  /**
   * Drops from the head what blocks now hold — everything before `mint` (ms; normally a block
   * boundary) — then replaces the WAL written so far by a checkpoint of what is left. Call it once
   * the blocks covering everything before `mint` are written. Truncations run one at a time;
   * appends and commits go on meanwhile, and nothing they acknowledge is lost.
   *
   * In memory, synchronously: {@link minValidTime} rises to `mint` (never falls); closed chunks
   * ending before it and late samples before it are dropped (a chunk straddling it, which only an
   * unaligned `mint` allows, is re-encoded without its older samples); every series whose newest
   * sample is older is removed — from the columns, the postings, the label-hash index and the
   * limiter's counts. Its ref is never given out again: a new series with its labels gets a new ref.
   * {@link minTime} and {@link maxTime} are recomputed.
   *
   * Then the WAL: `wal.cut()`, a checkpoint through the segment before the cut (`writeCheckpoint`)
   * of the head exactly as it was when the cut resolved, and `wal.truncate` of the segments it
   * replaces. Records logged after the cut stay in the segments replay reads after the checkpoint.
   * Why that loses nothing and replays to the same state: see `head-checkpoint.ts`. If the
   * checkpoint fails, the memory truncation stands and the old segments stay (a restart replays
   * them, older samples included); the next truncation writes a checkpoint again.
   */
  truncate(mint: number): Promise<TruncateResult> {
    const run = this.#truncating.then(() => this.#truncate(mint));
    this.#truncating = run.catch(() => undefined);
    return run;
  }

  /**
   * Waits for a truncation in progress and every logged batch, then closes the WAL. The head must
   * not be written after.
   */
  async close(): Promise<void> {
    await this.#truncating;
    const wal = await this.#wal?.catch(() => undefined);
    await wal?.close();
  }

  async #truncate(mint: number): Promise<TruncateResult> {
    if (!Number.isSafeInteger(mint)) throw new RangeError(`truncate: ${mint} is not a whole number of ms`);
    const wal = await this.wal();
    // Invariants (head-checkpoint.ts): the bound rises before the cut is asked for, so every record
    // logged after the cut is applied under it, live and at replay (which reads the bound from the
    // checkpoint first).
    const removed = this.#truncateMemory(mint);
    const through = (await wal.cut()) - 1;
    // Taken at once when the cut resolves: every batch logged before the cut has been applied (a
    // batch is applied as soon as its log resolves) and none logged after it (its log resolves
    // only after a write that has not even started).
    const cut = this.#takeCut(removed.dead);
    const checkpoint = await writeCheckpoint(wal.dir, through, () => checkpointRecords(this, cut), {
      syncMode: this.opts.syncMode ?? "always",
      ...(this.opts.walSegmentBytes !== undefined ? { segmentBytes: this.opts.walSegmentBytes } : {}),
    });
    await wal.truncate(through + 1);
    return {
      mint: this.#minValidTime,
      removedSeries: removed.series,
      removedSamples: removed.samples,
      checkpoint,
    };
  }

  #replaySeries(s: DecodedSeries): void {
    const known = this.#labels[s.ref];
    if (known !== undefined) {
      if (!known.equals(s.labels)) {
        throw new Error(
          `WAL of ${this.dir}: series ref ${s.ref} is logged as ${s.labels.toString()} and as ${known.toString()}`,
        );
      }
      return;
    }
    if (s.ref >= this.#nextRef) this.#nextRef = s.ref + 1;
    if (this.#replayingCheckpoint) {
      // Known, not created: its first sample creates it (see #resolveRemoved), and one that gets
      // none — removed by the truncation, or still empty at the cut — stays remembered as removed
      // for the records after the checkpoint, as the live head had it.
      this.#dead.set(s.ref, s.labels);
      return;
    }
    const hash = s.hash;
    if (this.refOf(s.labels, hash) >= 0) {
      // Another ref carries these labels: the live head created this series while that one was
      // removed, and a batch logged before this record brought that one back here, at replay,
      // where the live head had sent its samples to this series (a series is created when its
      // batch is logged, a batch applied when its log resolves). Samples for either ref belong
      // to the labels: fold this ref into that one, which ends with the same samples as live.
      this.#dead.set(s.ref, s.labels);
      return;
    }
    this.#dead.delete(s.ref);
    // Logged series were admitted when written; count them again, even past a since-lowered limit.
    this.opts.limiter.admit(s.labels);
    this.#add(s.ref, s.labels, hash);
  }

  /**
   * A replayed SAMPLES batch, by the rule of {@link apply}, in log order — except that a sample
   * newer than its series' newest goes to {@link #encoder} to be appended to the series' chunks
   * later (nothing else during replay reads the chunks, and they depend only on the series' own
   * samples, which the encoder keeps in order). Those are nearly all the samples of a WAL.
   */
  #replaySamples(batch: SampleColumns): void {
    const encoder = this.#encoder!;
    const { refs, ts, values } = batch;
    const labels = this.#labels;
    const bound = this.#minValidTime;
    let appended = 0;
    let minT = this.#minT;
    let maxT = this.#maxT;
    for (let i = 0; i < batch.length; i++) {
      const t = ts[i]!;
      let ref = refs[i]!;
      if (t < bound) {
        this.#dropped++;
        continue;
      }
      if (labels[ref] === undefined) {
        ref = this.#resolveRemoved(ref);
        if (ref < 0) {
          this.#dropped++;
          continue;
        }
      }
      if (t > this.#lastT[ref]!) {
        // #appendOne's first case, with the chunk append deferred. (`#resolveRemoved` may have
        // grown the columns: read them through `this`.)
        encoder.add(ref, t, values, i);
        this.#lastT[ref] = t;
        this.#lastV[ref] = values[i]!;
        appended++;
        if (t > maxT) maxT = t;
        if (t < minT) minT = t;
      } else {
        this.#samples += appended;
        appended = 0;
        this.#minT = minT;
        this.#maxT = maxT;
        this.#appendOne(ref, t, values, i);
        minT = this.#minT;
        maxT = this.#maxT;
      }
    }
    this.#samples += appended;
    this.#minT = minT;
    this.#maxT = maxT;
  }

  /** A checkpoint's TRUNCATION record: the bound and the ref counter, never lowered. */
  #replayTruncation(e: TruncationEntry): void {
    if (e.mint > this.#minValidTime) this.#minValidTime = e.mint;
    if (e.refLimit > this.#nextRef) this.#nextRef = e.refLimit;
  }

  /**
   * After replay: drops the series left without a sample and forgets the removed refs. Records
   * written from now on name only live series, so none is needed any more.
   */
  #finishReplay(): void {
    const empty: number[] = [];
    for (let ref = 0; ref < this.#nextRef; ref++) {
      if (this.#labels[ref] !== undefined && this.#lastT[ref] === Number.NEGATIVE_INFINITY) empty.push(ref);
    }
    this.#removeSeries(empty, undefined);
    this.#dead.clear();
  }

  #add(ref: number, labels: Labels, hash: number = hashLabels(labels)): void {
    if (ref >= this.#lastT.length) this.#grow(ref + 1);
    this.#labels[ref] = this.#symbols.intern(labels);
    this.#index.insert(hash, ref);
    this.postings.add(ref, labels);
    this.#lastT[ref] = Number.NEGATIVE_INFINITY;
    if (ref >= this.#nextRef) this.#nextRef = ref + 1;
  }

  #grow(need: number): void {
    let cap = this.#lastT.length * 2;
    while (cap < need) cap *= 2;
    const lastT = new Float64Array(cap).fill(Number.NEGATIVE_INFINITY);
    lastT.set(this.#lastT);
    const lastV = new Float64Array(cap);
    lastV.set(this.#lastV); // typed-array to typed-array: bits are kept
    this.#lastT = lastT;
    this.#lastV = lastV;
  }

  #appendOne(logged: number, t: number, vs: Float64Array, i: number): void {
    if (t < this.#minValidTime) {
      this.#dropped++;
      return;
    }
    let ref = logged;
    if (this.#labels[ref] === undefined) {
      ref = this.#resolveRemoved(logged);
      if (ref < 0) {
        this.#dropped++;
        return;
      }
    }
    const last = this.#lastT[ref]!;
    if (t > last) {
      appendSample(this.#cols, this.#blockMs, ref, t, vs[i]!);
      this.#lastT[ref] = t;
      this.#lastV[ref] = vs[i]!;
      this.#samples++;
      if (t > this.#maxT) this.#maxT = t;
      if (t < this.#minT) this.#minT = t;
      return;
    }
    if (t === last) {
      if (!sameBitsAt(this.#lastV, ref, vs, i)) this.#dropped++;
      return;
    }
    if (this.#replayingCheckpoint || last - t <= this.opts.outOfOrderWindowMs) {
      let ooo = this.#ooo[ref];
      if (ooo === undefined) {
        ooo = new OooBuffer();
        this.#ooo[ref] = ooo;
      }
      const r = ooo.insert(t, vs, i);
      if (r === "added") {
        this.#samples++;
        if (t < this.#minT) this.#minT = t;
      } else if (r === "conflict") this.#dropped++;
      return;
    }
    this.#dropped++;
  }

  /**
   * Where a sample logged for `ref`, which is not a live series, goes (see {@link truncate}): the
   * series now carrying the labels of removed series `ref`, or `ref` itself brought back (counted
   * by the limiter even past its limit: the sample is durable already); −1 when `ref` is not
   * remembered (removed two truncations ago, or never replayed), and the sample is dropped.
   */
  #resolveRemoved(ref: number): number {
    if (!(ref >= 0 && ref < this.#nextRef)) {
      throw new Error(`Head ${this.dir}: a sample for series ref ${ref}, which does not exist`);
    }
    const labels = this.#dead.get(ref);
    if (labels === undefined) return -1;
    const hash = hashLabels(labels);
    const live = this.refOf(labels, hash);
    if (live >= 0) return live;
    this.#dead.delete(ref);
    this.opts.limiter.admit(labels);
    this.#add(ref, labels, hash);
    return ref;
  }

  /**
   * The memory part of {@link truncate}: raises the bound to `mint`, trims every series to it,
   * removes those left empty, recomputes the time range. Returns the series removed, by ref with
   * their labels, and the counts.
   */
  #truncateMemory(mint: number): { dead: Map<number, Labels>; series: number; samples: number } {
    if (mint > this.#minValidTime) this.#minValidTime = mint;
    const r = trimColumns(this.#columns(), this.#minValidTime);
    this.#minT = r.minT;
    this.#maxT = r.maxT;
    this.#samples -= r.dropped;
    const dead = new Map<number, Labels>();
    this.#removeSeries(r.gone, dead);
    // Forget the strings only removed series used (a sweep over the live series, like the trim).
    if (r.gone.length > 0) this.#symbols.rebuild(this.#labels);
    return { dead, series: r.gone.length, samples: r.dropped };
  }

  /** The columns, for the truncation and the checkpoint (a view: valid until the next series is added). */
  #columns(): SeriesColumns {
    return {
      refLimit: this.#nextRef,
      labels: this.#labels,
      lastT: this.#lastT,
      open: this.#open,
      closed: this.#closed,
      ooo: this.#ooo,
    };
  }

  /**
   * Removes the series `refs` (live ones) from the columns, the postings (in one batch), the
   * label-hash index, the wire-bytes cache and the limiter's counts. With `dead`, remembers each in
   * it and among the removed series a logged sample may still name.
   */
  #removeSeries(refs: readonly number[], dead: Map<number, Labels> | undefined): void {
    if (refs.length === 0) return;
    const labels = refs.map((ref) => this.#labels[ref]!);
    this.postings.remove(refs, labels);
    for (let k = 0; k < refs.length; k++) {
      const ref = refs[k]!;
      const l = labels[k]!;
      if (!this.#index.remove(hashLabels(l), ref)) {
        throw new Error(
          `Head ${this.dir}: series ${ref} ${l.toString()} is missing from the label-hash index`,
        );
      }
      this.opts.limiter.release(l);
      this.#wire.forget(ref);
      this.#labels[ref] = undefined;
      this.#open[ref] = undefined;
      this.#closed[ref] = undefined;
      this.#ooo[ref] = undefined;
      this.#lastT[ref] = Number.NEGATIVE_INFINITY;
      this.#lastV[ref] = 0;
      if (dead !== undefined) {
        dead.set(ref, l);
        this.#dead.set(ref, l);
      }
    }
  }

  /**
   * The head at the WAL cut, for the checkpoint (see {@link HeadCut}): counts per live series,
   * copies of the out-of-order buffers, and the series the truncation removed that are still
   * removed. From now on only those are remembered as removed: no record logged after this cut may
   * resolve an older one, since the checkpoint will not name it.
   */
  #takeCut(dead: Map<number, Labels>): HeadCut {
    const counts = countColumns(this.#columns());
    // Brought back by a batch logged before the cut: alive now, and in the checkpoint as such.
    for (const ref of dead.keys()) if (this.#labels[ref] !== undefined) dead.delete(ref);
    this.#dead = dead;
    const deadRefs = [...dead.keys()].sort((a, b) => a - b);
    return {
      ...counts,
      mint: this.#minValidTime,
      deadRefs,
      deadLabels: deadRefs.map((ref) => dead.get(ref)!),
    };
  }
}

/** Bytes of the files in `walDir` and in its checkpoint directories (0 when there is no WAL). */
async function walBytes(walDir: string): Promise<number> {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await readdir(walDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  for (const e of entries) {
    const path = join(walDir, e.name);
    if (e.isFile()) total += (await stat(path)).size;
    else if (e.isDirectory()) total += await walBytes(path);
  }
  return total;
}

function walOptions(opts: HeadOptions, verifiedEnd: VerifiedEnd | undefined): WALOptions {
  return {
    syncMode: opts.syncMode ?? "always",
    verifiedEnd,
    ...(opts.walSegmentBytes !== undefined ? { segmentBytes: opts.walSegmentBytes } : {}),
  };
}
