import type { HandleAppender, Querier } from "../storage/interface.js";
import { BlockSetQuerier } from "./block/block-set-querier.js";
import { BlockSet, type BlockSetOptions, compactionRanges, writeBlock } from "./block/index.js";
import { Head, type HeadOptions } from "./head/head.js";
import { HeadAppender } from "./head/head-appender.js";
import { HeadQuerier } from "./head/head-querier.js";

/** Options of {@link TenantDB.open}. */
export interface TenantDBOptions extends HeadOptions {
  /** The tenant's retention now (limits may change at run time): ms and bytes, 0 = none. */
  readonly retention: () => { readonly ms: number; readonly bytes: number };
  /** Called for a block that cannot be opened (it is left on disk and never read). */
  readonly onBlockProblem?: BlockSetOptions["onProblem"];
}

/** What one {@link TenantDB.maintain} did. */
export interface MaintenanceResult {
  /** Blocks written from the head. */
  readonly headBlocks: number;
  /** Blocks written by compacting blocks. */
  readonly compacted: number;
  /** Blocks deleted by retention. */
  readonly deleted: number;
}

/**
 * One tenant's TSDB in one directory (ADR 0007, docs/format/block.md): the {@link Head} with its WAL
 * in `wal/`, and the immutable blocks beside it. Writes go to the head; reads merge the blocks and
 * the head (a sample in both is the head's). {@link maintain} moves the head's old data into blocks
 * as Prometheus does — when the head spans more than 1.5 block durations, its oldest block range is
 * written to a block and the head truncated there — then compacts blocks and applies retention.
 */
export class TenantDB {
  #blocks: BlockSet | undefined;
  readonly #blocksReady: Promise<BlockSet>;
  #maintaining: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly head: Head,
    blocks: Promise<BlockSet>,
    private readonly opts: TenantDBOptions,
  ) {
    this.#blocksReady = blocks.then((b) => {
      this.#blocks = b;
      return b;
    });
    // Observed by maintain() and close(); do not report an early failure as unhandled.
    this.#blocksReady.catch(() => {});
  }

  /** Opens the tenant in `dir`: its blocks, then its head (replaying the WAL). */
  static async open(dir: string, opts: TenantDBOptions): Promise<TenantDB> {
    const blocks = await BlockSet.open(dir, blockSetOptions(opts));
    const head = await Head.open(dir, opts);
    return new TenantDB(dir, head, Promise.resolve(blocks), opts);
  }

  /** A tenant without a directory yet, writable at once (its WAL and block set open in the background). */
  static create(dir: string, opts: TenantDBOptions): TenantDB {
    const head = Head.create(dir, opts);
    return new TenantDB(dir, head, BlockSet.open(dir, blockSetOptions(opts)), opts);
  }

  appender(): HandleAppender {
    return new HeadAppender(this.head);
  }

  /** Reads the blocks and the head over `[mint, maxt]` (ms, inclusive). */
  querier(mint: number, maxt: number): Querier {
    const head = new HeadQuerier(this.head, mint, maxt);
    const blocks = this.#blocks;
    if (blocks === undefined || blocks.blocks.length === 0) return head;
    // Blocks oldest first, the head last: on equal timestamps the head's sample wins.
    return new BlockSetQuerier([blocks.querier(mint, maxt), head]);
  }

  /** Bytes of the tenant's blocks on disk. */
  get blockBytes(): number {
    return this.#blocks?.totalBytes ?? 0;
  }

  /** Number of blocks. */
  get blockCount(): number {
    return this.#blocks?.blocks.length ?? 0;
  }

  /**
   * Writes the head's old data into blocks, compacts blocks and applies retention. With `flush`,
   * everything in the head goes into blocks now (an admin flush): the head then refuses samples
   * older than its newest one. Runs one at a time.
   */
  maintain(flush = false): Promise<MaintenanceResult> {
    const run = this.#maintaining.then(() => this.#maintain(flush));
    this.#maintaining = run.catch(() => undefined);
    return run;
  }

  /** Waits for maintenance under way, then closes the head and the blocks. */
  async close(): Promise<void> {
    await this.#maintaining;
    await this.head.close();
    const blocks = await this.#blocksReady.catch(() => undefined);
    await blocks?.close();
  }

  async #maintain(flush: boolean): Promise<MaintenanceResult> {
    const blocks = await this.#blocksReady;
    const headBlocks = await this.#persistHead(blocks, flush);
    const range = this.head.blockDurationMs;
    const { ms, bytes } = this.opts.retention();
    const compacted = await blocks.compact(compactionRanges({ blockDurationMs: range, retentionMs: ms }));
    const newest = this.head.maxTime();
    const victims = await blocks.applyRetention({
      retentionMs: ms,
      retentionBytes: bytes,
      ...(Number.isFinite(newest) ? { newestDataMs: newest } : {}),
    });
    return { headBlocks, compacted: compacted.length, deleted: victims.length };
  }

  /** Writes head block ranges out while the head is long enough (or, with `flush`, all of it). */
  async #persistHead(blocks: BlockSet, flush: boolean): Promise<number> {
    const head = this.head;
    const range = head.blockDurationMs;
    let written = 0;
    // A flush goes up to the newest sample of now, not after samples arriving meanwhile.
    const flushUntil = flush ? head.maxTime() + 1 : Number.NaN;
    for (;;) {
      const minT = head.minTime();
      const maxT = head.maxTime();
      if (!(minT <= maxT)) return written;
      const start = Math.floor(minT / range) * range;
      let end = start + range;
      if (!flush && maxT - minT <= range * 1.5) return written;
      if (flush) {
        if (!(minT < flushUntil)) return written;
        // The last block of a flush ends just past the newest sample.
        end = Math.min(end, flushUntil);
      }
      // Nothing older than `end` may be appended from now on, and commits under way that hold such
      // samples finish before the range is read, so the block misses nothing the head acknowledged.
      head.fence(end);
      await head.appendersSettled(end);
      const meta = await writeBlock(this.dir, head.blockSource(start, end), {
        minTime: start,
        maxTime: end,
        syncMode: this.opts.syncMode ?? "always",
      });
      if (meta !== undefined) {
        await blocks.add(meta);
        written++;
      }
      await head.truncate(end);
    }
  }
}

function blockSetOptions(opts: TenantDBOptions): BlockSetOptions {
  return {
    syncMode: opts.syncMode ?? "always",
    ...(opts.onBlockProblem !== undefined ? { onProblem: opts.onBlockProblem } : {}),
  };
}
