/**
 * The read side of a live tail: a log query read again and again over a moving time window, each
 * entry handed out once. Pure over a {@link LogQuerier}; the WebSocket side is `tail.ts`.
 */
import type { Labels } from "../../model/labels.js";
import { evaluateLogQuery, type LogStreamResult, type StreamEntry } from "../engine/index.js";
import type { LogQueryExpr } from "../logql/index.js";
import type { PipelineDeps } from "../pipeline/index.js";
import type { LogQuerier } from "../store/index.js";

/** What one read gave: the new entries by stream (each oldest first), and whether more may be ready now. */
export interface TailBatch {
  readonly streams: LogStreamResult[];
  /** The read stopped at its batch limit: read again without waiting. */
  readonly more: boolean;
}

/**
 * A cursor over a log query's entries as they reach the store. {@link history} gives the newest
 * entries before a time; then each {@link next} reads from where the previous read left off up to a
 * new end (exclusive), handing out what it had not handed out before. Entries reach the store after
 * their timestamp (a sender batches, the network and the WAL take time), so each read goes back
 * `lateNs` before the previous end, and the entries handed out in that window are remembered (by
 * timestamp, stream labels after the pipeline, and line) so that none is handed out twice. An entry
 * that reaches the store later than that after its timestamp is not seen; the caller's `delay_for`
 * moves the end back for slower senders. Memory: the entries handed out within the last `lateNs`.
 */
export class TailCursor {
  /** Inclusive start of the next read, Unix ns; never moves back. */
  #fromNs = 0n;
  /** No read starts before this: the history's start, or its oldest entry when its limit cut it. */
  #floorNs = 0n;
  /** Entries handed out with a timestamp at or after `#fromNs`: key → timestamp and count. */
  readonly #sent = new Map<string, { tsNs: bigint; count: number }>();

  constructor(
    private readonly expr: LogQueryExpr,
    private readonly deps: PipelineDeps,
    /** How long after its timestamp an entry may reach the store and still be handed out, ns. */
    private readonly lateNs: bigint,
  ) {}

  /** Inclusive start of the next read, Unix ns. */
  get fromNs(): bigint {
    return this.#fromNs;
  }

  /**
   * The newest `limit` entries in `[startNs, endNs)` (each stream oldest first). Older entries the
   * limit cut off are not handed out later.
   */
  async history(
    querier: LogQuerier,
    startNs: bigint,
    endNs: bigint,
    limit: number,
    signal?: AbortSignal,
  ): Promise<LogStreamResult[]> {
    this.#sent.clear();
    if (endNs <= startNs || limit <= 0) {
      this.#floorNs = endNs > startNs ? endNs : startNs;
      this.#fromNs = this.#floorNs;
      return [];
    }
    const streams = await evaluateLogQuery(querier, this.expr, {
      startNs,
      endNs,
      direction: "backward",
      limit,
      deps: this.deps,
      ...(signal === undefined ? {} : { signal }),
    });
    let count = 0;
    let oldest = endNs;
    for (const s of streams) {
      for (const e of s.entries) {
        this.#remember(s.labels, e);
        count++;
        if (e[0] < oldest) oldest = e[0];
      }
    }
    this.#floorNs = count >= limit ? oldest : startNs;
    this.#advance(max(this.#floorNs, endNs - this.lateNs));
    return streams.map((s) => ({ labels: s.labels, entries: s.entries.reverse() }));
  }

  /**
   * The entries not handed out yet from the cursor up to `endNs` (exclusive), at most `batch` of them
   * (the oldest); nothing when `endNs` is not past the cursor.
   */
  async next(querier: LogQuerier, endNs: bigint, batch: number, signal?: AbortSignal): Promise<TailBatch> {
    if (endNs <= this.#fromNs) return { streams: [], more: false };
    const skip = new Map<string, number>();
    let skipCount = 0;
    for (const [key, { count }] of this.#sent) {
      skip.set(key, count);
      skipCount += count;
    }
    const limit = skipCount + batch;
    const read = await evaluateLogQuery(querier, this.expr, {
      startNs: this.#fromNs,
      endNs,
      direction: "forward",
      limit,
      deps: this.deps,
      ...(signal === undefined ? {} : { signal }),
    });
    let count = 0;
    let lastNs = this.#fromNs;
    const streams: LogStreamResult[] = [];
    for (const s of read) {
      const entries: StreamEntry[] = [];
      for (const e of s.entries) {
        count++;
        if (e[0] > lastNs) lastNs = e[0];
        if (takeOne(skip, entryKey(s.labels, e))) continue;
        this.#remember(s.labels, e);
        entries.push(e);
      }
      if (entries.length > 0) streams.push({ labels: s.labels, entries });
    }
    // A full read may stop inside a run of equal timestamps: go on from its last one. Else the next
    // read goes back `lateNs` for entries that reach the store late.
    const more = count >= limit;
    this.#advance(more ? lastNs : max(this.#floorNs, endNs - this.lateNs));
    return { streams, more };
  }

  #remember(labels: Labels, e: StreamEntry): void {
    const key = entryKey(labels, e);
    const had = this.#sent.get(key);
    if (had === undefined) this.#sent.set(key, { tsNs: e[0], count: 1 });
    else had.count++;
  }

  /** Moves the start of the next read forward to `toNs` (never back) and forgets what is before it. */
  #advance(toNs: bigint): void {
    if (toNs <= this.#fromNs) return;
    this.#fromNs = toNs;
    for (const [key, { tsNs }] of this.#sent) if (tsNs < toNs) this.#sent.delete(key);
  }
}

function entryKey(labels: Labels, e: StreamEntry): string {
  return `${e[0]}\u0000${labels.key()}\u0000${e[1]}`;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** Takes one count of `key` from `m`; whether there was one. */
function takeOne(m: Map<string, number>, key: string): boolean {
  const n = m.get(key);
  if (n === undefined || n === 0) return false;
  m.set(key, n - 1);
  return true;
}
