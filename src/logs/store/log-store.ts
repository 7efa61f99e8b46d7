import { join } from "node:path";
import type { Matcher } from "../../model/matcher.js";
import type { LogDirection } from "./chunk.js";
import { mergeStreams } from "./head-select.js";
import { LogBlock, listLogBlocks, writeLogBlock } from "./log-block.js";
import {
  type HeadFlush,
  type LogAppendOptions,
  type LogAppendResult,
  LogHead,
  type LogHeadOptions,
  type LogHeadStreamInput,
} from "./log-head.js";
import type {
  LogQuerier,
  LogQueryEntry,
  LogStreamStats,
  LogTimeRange,
  SelectHint,
  StreamLabels,
} from "./querier.js";
import { type StreamSource, sourceOverlaps, sourceStats } from "./stream-source.js";

/**
 * One tenant's log store: a {@link LogHead} (new entries, in memory and in the WAL) and the
 * immutable blocks earlier flushes wrote (`docs/format/log-block.md`), read as one dataset through
 * {@link querier}. {@link flush} moves the head into a new block and truncates the WAL;
 * {@link applyRetention} deletes blocks by age and by total size.
 */

/** A flush snapshot between being taken from the head and being readable from its block. */
interface Flushing {
  readonly seq: number;
  readonly snapshot: HeadFlush;
}

/** Retention of one tenant; 0 turns a bound off. */
export interface LogRetention {
  /** Blocks whose newest entry is older than this (ms before now) are deleted. */
  readonly periodMs: number;
  /** While the blocks take more bytes than this, the oldest is deleted. */
  readonly maxBytes: number;
}

/** What {@link LogStore.applyRetention} deleted. */
export interface RetentionResult {
  readonly blocks: number;
  readonly bytes: number;
}

/** Counters of a store. */
export interface LogStoreStats {
  readonly blocks: number;
  readonly blockBytes: number;
  readonly headBytes: number;
}

/** One tenant's log store; see the file comment. */
export class LogStore {
  readonly #blocks: LogBlock[] = [];
  readonly #flushing: Flushing[] = [];
  #nextSeq = 1;
  /** The flush in progress, if any (flushes run one at a time). */
  #flushRun: Promise<boolean> | undefined;

  private constructor(
    readonly dir: string,
    readonly head: LogHead,
    blocks: LogBlock[],
  ) {
    this.#blocks = blocks;
    this.#nextSeq = (blocks.at(-1)?.seq ?? 0) + 1;
  }

  /**
   * Opens the store in `dir` (creating it): removes what a crash left of a block write or delete,
   * opens every block, then the head — whose replay skips the WAL segments the blocks already hold.
   */
  static async open(dir: string, opts: LogHeadOptions = {}): Promise<LogStore> {
    const blocks: LogBlock[] = [];
    try {
      for (const b of await listLogBlocks(join(dir, "blocks"))) blocks.push(await LogBlock.open(b.dir));
      let below = 0;
      for (const b of blocks) below = Math.max(below, b.walSegmentsBelow);
      const head = await LogHead.open(dir, { ...opts, walSegmentsBelow: below });
      return new LogStore(dir, head, blocks);
    } catch (err) {
      for (const b of blocks) b.close();
      throw err;
    }
  }

  /** Appends to the head; see {@link LogHead.append}. */
  append(streams: readonly LogHeadStreamInput[], opts?: LogAppendOptions): Promise<LogAppendResult> {
    return this.head.append(streams, opts);
  }

  /**
   * Moves everything the head holds into a new block on disk, then deletes the WAL segments it
   * covers. Resolves true when a block was written, false when the head held nothing. Concurrent
   * calls share one flush. A failed write leaves the entries readable in memory and in the WAL (the
   * next open replays them); the error is rethrown.
   */
  flush(): Promise<boolean> {
    this.#flushRun ??= this.#flush().finally(() => {
      this.#flushRun = undefined;
    });
    return this.#flushRun;
  }

  async #flush(): Promise<boolean> {
    // A snapshot whose block failed to be written is written first: the WAL still holds its
    // entries, and must until its block is on disk.
    for (const f of [...this.#flushing]) await this.#writeBlock(f);
    let taken: Flushing | undefined;
    await this.head.takeForFlush((snapshot) => {
      // Synchronously with the chunks leaving the head: queries find them here until the block is open.
      taken = { seq: this.#nextSeq++, snapshot };
      this.#flushing.push(taken);
    });
    if (taken === undefined) return false;
    await this.#writeBlock(taken);
    return true;
  }

  /** Writes a snapshot's block, opens it in place of the snapshot, and truncates the WAL it covers. */
  async #writeBlock(f: Flushing): Promise<void> {
    const { snapshot } = f;
    const dir = await writeLogBlock(
      join(this.dir, "blocks"),
      f.seq,
      snapshot.streams.map((s) => ({
        labels: s.labels,
        chunks: s.chunks.map((c) => ({
          bytes: c.bytes,
          minTs: c.minTs,
          maxTs: c.maxTs,
          entryCount: c.entryCount,
          lineBytes: c.lineBytes,
          filter: c.filter?.bytes,
        })),
      })),
      snapshot.walSegmentsBelow,
    );
    const block = await LogBlock.open(dir);
    this.#blocks.push(block);
    this.#flushing.splice(this.#flushing.indexOf(f), 1);
    if (this.#flushing.length === 0) await this.head.truncateWal(snapshot.walSegmentsBelow);
  }

  /** Deletes blocks past the retention period, then the oldest while the blocks exceed the size bound. */
  async applyRetention(r: LogRetention, nowMs: number): Promise<RetentionResult> {
    let blocks = 0;
    let bytes = 0;
    const drop = async (b: LogBlock): Promise<void> => {
      this.#blocks.splice(this.#blocks.indexOf(b), 1);
      blocks++;
      bytes += b.diskBytes;
      await b.delete();
    };
    if (r.periodMs > 0) {
      const cutoff = BigInt(nowMs - r.periodMs) * 1_000_000n;
      for (const b of [...this.#blocks]) if (b.maxTs < cutoff) await drop(b);
    }
    if (r.maxBytes > 0) {
      let total = this.#blocks.reduce((n, b) => n + b.diskBytes, 0);
      while (total > r.maxBytes && this.#blocks.length > 0) {
        const oldest = this.#blocks.reduce((a, b) => (b.maxTs < a.maxTs ? b : a));
        total -= oldest.diskBytes;
        await drop(oldest);
      }
    }
    return { blocks, bytes };
  }

  /** Blocks, their bytes on disk, and the head's line bytes in memory. */
  stats(): LogStoreStats {
    return {
      blocks: this.#blocks.length,
      blockBytes: this.#blocks.reduce((n, b) => n + b.diskBytes, 0),
      headBytes: this.head.memBytes,
    };
  }

  /**
   * The stream sources of the blocks (oldest first), flushes in progress and the head that the
   * matchers select, with the blocks acquired until `release` is called.
   */
  #sources(
    matchers: readonly Matcher[],
    range: LogTimeRange | undefined,
  ): { sources: StreamSource[]; release: () => void } {
    const blocks =
      range === undefined
        ? [...this.#blocks]
        : this.#blocks.filter((b) => b.overlaps(range.fromNs, range.toNs));
    const flushing = [...this.#flushing];
    for (const b of blocks) b.acquire();
    const sources: StreamSource[] = [];
    for (const b of blocks) sources.push(...b.streams(matchers));
    for (const f of flushing) {
      for (const s of f.snapshot.streams) {
        if (matchers.every((m) => m.matches(labelValue(s.labels, m.name)))) {
          sources.push({ key: s.key, labels: s.labels, chunks: s.chunks, open: [] });
        }
      }
    }
    sources.push(...this.head.streamSources(matchers));
    let released = false;
    return {
      sources:
        range === undefined ? sources : sources.filter((s) => sourceOverlaps(s, range.fromNs, range.toNs)),
      release: () => {
        if (released) return;
        released = true;
        for (const b of blocks) b.release();
      },
    };
  }

  /** A read view over the blocks and the head; see {@link LogQuerier}. */
  querier(): LogQuerier {
    const distinct = (matchers: readonly Matcher[], range?: LogTimeRange): StreamLabels[] => {
      const { sources, release } = this.#sources(matchers, range);
      release();
      const byKey = new Map<string, StreamLabels>();
      for (const s of sources) byKey.set(s.key, s.labels);
      return [...byKey.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, l]) => l);
    };
    return {
      select: (matchers, fromNs, toNs, direction, limit, hint) =>
        this.#select(matchers, fromNs, toNs, direction, limit, hint),
      labelNames: async (matchers, range) => {
        const names = new Set<string>();
        for (const l of distinct(matchers ?? [], range)) for (const [n] of l) names.add(n);
        return [...names].sort(cmp);
      },
      labelValues: async (name, matchers, range) => {
        const values = new Set<string>();
        for (const l of distinct(matchers ?? [], range)) {
          for (const [n, v] of l) if (n === name) values.add(v);
        }
        return [...values].sort(cmp);
      },
      series: async (matchers, range) => distinct(matchers, range),
      stats: async (matchers, fromNs, toNs) => {
        const { sources, release } = this.#sources(matchers, { fromNs, toNs });
        release();
        const byKey = new Map<
          string,
          { labels: StreamLabels; chunks: number; entries: number; bytes: number }
        >();
        for (const s of sources) {
          const st = sourceStats(s, fromNs, toNs);
          if (st.chunks === 0) continue;
          const had = byKey.get(s.key);
          if (had === undefined) byKey.set(s.key, { labels: s.labels, ...st });
          else {
            had.chunks += st.chunks;
            had.entries += st.entries;
            had.bytes += st.bytes;
          }
        }
        return [...byKey.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, s]) => s as LogStreamStats);
      },
    };
  }

  async *#select(
    matchers: readonly Matcher[],
    fromNs: bigint,
    toNs: bigint,
    direction: LogDirection,
    limit: number,
    hint?: SelectHint,
  ): AsyncGenerator<LogQueryEntry> {
    const { sources, release } = this.#sources(matchers, { fromNs, toNs });
    const gen = mergeStreams(sources, fromNs, toNs, direction, limit, hint?.lineContains);
    try {
      yield* gen;
    } finally {
      gen.return(undefined);
      release();
    }
  }

  /** Waits for a flush in progress, closes the head (its WAL) and the blocks. */
  async close(): Promise<void> {
    await this.#flushRun?.catch(() => undefined);
    await this.head.close();
    for (const b of this.#blocks) b.close();
  }
}

function labelValue(labels: StreamLabels, name: string): string {
  for (const [n, v] of labels) if (n === name) return v;
  return "";
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
