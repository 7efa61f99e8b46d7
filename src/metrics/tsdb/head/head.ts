import { join } from "node:path";
import type { Labels } from "../../../model/labels.js";
import type { SeriesLimiter } from "../../limits/index.js";
import { AppendError } from "../../storage/interface.js";
import {
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_MAX_SAMPLE_BYTES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkAppender,
} from "../chunk/index.js";
import {
  decodeSamples,
  decodeSeries,
  RecordType,
  recordType,
  replay,
  SampleBatch,
  type SampleColumns,
  type SeriesEntry,
  type SyncMode,
  type VerifiedEnd,
  WAL,
  type WALOptions,
} from "../wal/index.js";
import type { OooSlice } from "./head-iterator.js";
import { HeadPostings } from "./head-postings.js";
import { OooBuffer, sameBitsAt } from "./ooo-buffer.js";

/**
 * The first buffer of an open chunk, bytes. At most 64 keeps it inside V8's heap (no separate
 * backing store per series); a full chunk of regular samples takes ~40 and the buffer doubles as needed.
 */
const CHUNK_INITIAL_BYTES = 64;

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
}

/**
 * The in-memory head of ONE tenant's TSDB (ADR 0007, "columnar head"): series are dense integer
 * refs; per-series state lives in columns indexed by ref — labels, newest timestamp and value
 * (`Float64Array`s, so NaN payloads such as the stale marker survive), the open XOR chunk, the
 * closed chunks and the out-of-order buffer. Durability comes from the WAL in `<dir>/wal`: callers
 * log a batch there first and {@link apply} it after the log resolved, in log order, so replaying
 * the WAL rebuilds exactly this state.
 *
 * Samples are applied by one rule, at commit and at replay alike: newer than the series' newest →
 * appended (a new chunk is cut at {@link XOR_CHUNK_TARGET_SAMPLES} samples or before the chunk could
 * pass {@link XOR_CHUNK_MAX_BYTES}); same timestamp and bits → nothing; same timestamp, other bits →
 * dropped; older but within the out-of-order window → the out-of-order buffer (unless it holds that
 * timestamp already: same bits → nothing, other bits → dropped); older still → dropped. A late
 * sample is not compared with the chunks: if a chunk holds its timestamp, reads return the chunk's
 * sample (it still counts in {@link samples}). Drops happen when concurrent appenders raced (the
 * appender refuses such samples when they are appended) or when a late sample meets another value
 * already buffered for its timestamp (the appender does not check the buffer); they are counted in
 * {@link dropped}. The window in force is used at replay too.
 */
export class Head {
  /** The head's inverted index over its series. */
  readonly postings = new HeadPostings();
  #labels: (Labels | undefined)[] = [];
  readonly #byKey = new Map<string, number>();
  #lastT = new Float64Array(64).fill(Number.NEGATIVE_INFINITY);
  #lastV = new Float64Array(64);
  #open: (XorChunkAppender | undefined)[] = [];
  #closed: (ClosedChunk[] | undefined)[] = [];
  #ooo: (OooBuffer | undefined)[] = [];
  #nextRef = 0;
  #samples = 0;
  #dropped = 0;
  #wal: Promise<WAL> | undefined;

  private constructor(
    /** The head's directory; the WAL is in `<dir>/wal`. */
    readonly dir: string,
    private readonly opts: HeadOptions,
  ) {}

  /**
   * Opens the head in `dir`: replays `<dir>/wal` (SERIES records recreate series under their refs,
   * SAMPLES records are applied bit for bit), then opens the WAL for writing. A torn WAL tail is cut
   * off; corruption elsewhere throws the WAL's `WALCorruptionError`.
   */
  static async open(dir: string, opts: HeadOptions): Promise<Head> {
    const head = new Head(dir, opts);
    const walDir = join(dir, "wal");
    const batch = new SampleBatch();
    const series: SeriesEntry[] = [];
    const { verifiedEnd } = await replay(
      walDir,
      (record) => {
        const type = recordType(record);
        if (type === RecordType.Series) {
          series.length = 0;
          for (const s of decodeSeries(record, series)) head.#replaySeries(s);
        } else if (type === RecordType.Samples) {
          head.apply(decodeSamples(record, batch));
        }
      },
      { syncMode: opts.syncMode ?? "always" },
    );
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
    return this.#byKey.size;
  }

  /** One past the highest ref ever given out; refs below it may name a series. */
  get refLimit(): number {
    return this.#nextRef;
  }

  /** Samples held (in chunks and out-of-order buffers). */
  get samples(): number {
    return this.#samples;
  }

  /** Logged samples that {@link apply} dropped because a concurrent commit made them invalid. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The ref of the series with these labels, or -1. */
  refOf(labels: Labels): number {
    return this.#byKey.get(labels.key()) ?? -1;
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
  createSeries(labels: Labels): number {
    const ref = this.#nextRef;
    this.#add(ref, labels);
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
    for (const c of this.#closed[ref] ?? []) if (c.maxT >= mint && c.minT <= maxt) chunks.push(c.bytes);
    const open = this.#open[ref];
    if (open !== undefined && open.numSamples > 0 && open.maxT >= mint && open.minT <= maxt) {
      chunks.push(open.bytes().slice());
    }
    const ooo = this.#ooo[ref]?.slice(mint, maxt);
    if (chunks.length === 0 && ooo === undefined) return undefined;
    return { chunks, ooo };
  }

  /** Waits for every logged batch, then closes the WAL. The head must not be written after. */
  async close(): Promise<void> {
    const wal = await this.#wal?.catch(() => undefined);
    await wal?.close();
  }

  #replaySeries(s: SeriesEntry): void {
    const known = this.#labels[s.ref];
    if (known !== undefined) {
      if (!known.equals(s.labels)) {
        throw new Error(
          `WAL of ${this.dir}: series ref ${s.ref} is logged as ${s.labels.toString()} and as ${known.toString()}`,
        );
      }
      return;
    }
    // Logged series were admitted when written; count them again, even past a since-lowered limit.
    this.opts.limiter.admit(s.labels);
    this.#add(s.ref, s.labels);
  }

  #add(ref: number, labels: Labels): void {
    if (ref >= this.#lastT.length) this.#grow(ref + 1);
    this.#labels[ref] = labels;
    this.#byKey.set(labels.key(), ref);
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

  #appendOne(ref: number, t: number, vs: Float64Array, i: number): void {
    if (this.#labels[ref] === undefined) {
      throw new Error(`Head ${this.dir}: a sample for series ref ${ref}, which does not exist`);
    }
    const last = this.#lastT[ref]!;
    if (t > last) {
      let chunk = this.#open[ref];
      if (
        chunk === undefined ||
        chunk.numSamples >= XOR_CHUNK_TARGET_SAMPLES ||
        chunk.byteLength > XOR_CHUNK_MAX_BYTES - XOR_CHUNK_MAX_SAMPLE_BYTES
      ) {
        if (chunk !== undefined) this.#closeChunk(ref, chunk);
        chunk = new XorChunkAppender(CHUNK_INITIAL_BYTES);
        this.#open[ref] = chunk;
      }
      chunk.append(t, vs[i]!);
      this.#lastT[ref] = t;
      this.#lastV[ref] = vs[i]!;
      this.#samples++;
      return;
    }
    if (t === last) {
      if (!sameBitsAt(this.#lastV, ref, vs, i)) this.#dropped++;
      return;
    }
    if (last - t <= this.opts.outOfOrderWindowMs) {
      let ooo = this.#ooo[ref];
      if (ooo === undefined) {
        ooo = new OooBuffer();
        this.#ooo[ref] = ooo;
      }
      const r = ooo.insert(t, vs, i);
      if (r === "added") this.#samples++;
      else if (r === "conflict") this.#dropped++;
      return;
    }
    this.#dropped++;
  }

  #closeChunk(ref: number, chunk: XorChunkAppender): void {
    let list = this.#closed[ref];
    if (list === undefined) {
      list = [];
      this.#closed[ref] = list;
    }
    list.push({ bytes: chunk.bytes().slice(), minT: chunk.minT, maxT: chunk.maxT });
  }
}

function walOptions(opts: HeadOptions, verifiedEnd: VerifiedEnd | undefined): WALOptions {
  return {
    syncMode: opts.syncMode ?? "always",
    verifiedEnd,
    ...(opts.walSegmentBytes !== undefined ? { segmentBytes: opts.walSegmentBytes } : {}),
  };
}
