import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Querier } from "../../storage/interface.js";
import { Block } from "./block.js";
import { blockDirKind, markDeleted, removeDir } from "./block-dir.js";
import { BlockError } from "./block-errors.js";
import type { BlockMeta } from "./block-meta.js";
import { BlockSetQuerier } from "./block-set-querier.js";
import { compact } from "./compactor.js";
import { compactionRanges, planCompaction } from "./planner.js";
import { type RetentionLimits, type RetentionVictim, retentionVictims } from "./retention.js";

/** A block directory that could not be opened or cleaned up, and why. It is left on disk and never read. */
export interface BlockProblem {
  /** The directory concerned. */
  readonly dir: string;
  /** A `BlockError`, `IndexCorruptedError`, `ChunkFileError` or an I/O error. */
  readonly error: Error;
}

/** Options of {@link BlockSet.open}. */
export interface BlockSetOptions {
  /** `"never"` skips fsyncs (tests, benchmarks). Default `"always"`. */
  readonly syncMode?: "always" | "never";
  /** Called for every {@link BlockProblem}, when it is met (default: nothing; see `problems`). */
  readonly onProblem?: (problem: BlockProblem) => void;
}

/** One block of the set, with the readers that hold it. */
interface Entry {
  readonly block: Block;
  /** Open queriers that read this block. */
  refs: number;
  /** The `.deleted` path once the block left the set; removed when `refs` drops to 0. */
  retired: string | undefined;
  /** Close the block when `refs` drops to 0 (the set was closed while it was read). */
  closeWhenFree: boolean;
}

/**
 * The blocks of one tenant in one directory (docs/format/block.md). {@link add}, {@link compact},
 * {@link applyRetention} and {@link close} run one at a time, in call order. A block leaving the set
 * (compacted or past retention) is renamed to `<ulid>.deleted` at once, but its files stay open,
 * and its directory is removed, only when the last querier reading it closes: queriers see the
 * blocks of the moment they were made until they close.
 */
export class BlockSet {
  #entries: Entry[] = [];
  readonly #problems: BlockProblem[] = [];
  readonly #pending = new Set<Promise<void>>();
  #lock: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    /** The tenant's directory. */
    readonly dir: string,
    private readonly opts: BlockSetOptions,
  ) {}

  /**
   * Opens the blocks in `dir` (created if missing; names that are not block names are ignored),
   * after deleting `<ulid>.tmp` and `<ulid>.deleted` leftovers. A block that fails to open is
   * reported as a {@link BlockProblem}, left on disk and skipped. Blocks named as a parent by
   * another block are deleted: a compaction finished writing and crashed before removing them.
   * Call it before anything writes blocks into `dir` (it deletes `.tmp` directories in progress).
   */
  static async open(dir: string, opts: BlockSetOptions = {}): Promise<BlockSet> {
    const set = new BlockSet(dir, opts);
    await mkdir(dir, { recursive: true });
    const names: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const kind = blockDirKind(e.name);
      if (kind === "tmp" || kind === "deleted") await removeDir(join(dir, e.name));
      else if (kind === "block") names.push(e.name);
    }
    names.sort();
    const opened: Block[] = [];
    const failed = new Map<string, Error>();
    for (const name of names) {
      try {
        opened.push(await Block.open(join(dir, name)));
      } catch (err) {
        failed.set(name, err instanceof Error ? err : new Error(String(err)));
      }
    }
    const parents = new Set(opened.flatMap((b) => b.meta.compaction.parents.map((p) => p.ulid)));
    const sync = opts.syncMode !== "never";
    for (const name of names) {
      if (!parents.has(name)) continue;
      const i = opened.findIndex((b) => b.ulid === name);
      if (i >= 0) await opened.splice(i, 1)[0]!.close();
      failed.delete(name);
      await removeDir(await markDeleted(dir, name, sync));
    }
    for (const [name, error] of failed) set.#report({ dir: join(dir, name), error });
    for (const b of opened) set.#insert(b);
    return set;
  }

  /** The problems met so far, in order. */
  get problems(): readonly BlockProblem[] {
    return this.#problems;
  }

  /** The blocks of the set, sorted by `minTime` (then ULID). */
  get blocks(): readonly Block[] {
    return this.#entries.map((e) => e.block);
  }

  /** Total size on disk of the set's blocks, bytes. */
  get totalBytes(): number {
    let n = 0;
    for (const e of this.#entries) n += e.block.sizeBytes;
    return n;
  }

  /** The smallest block `minTime` (inclusive, ms), or undefined when the set is empty. */
  get minTime(): number | undefined {
    return this.#entries.length === 0
      ? undefined
      : Math.min(...this.#entries.map((e) => e.block.meta.minTime));
  }

  /** The greatest block `maxTime` (exclusive, ms), or undefined when the set is empty. */
  get maxTime(): number | undefined {
    return this.#entries.length === 0
      ? undefined
      : Math.max(...this.#entries.map((e) => e.block.meta.maxTime));
  }

  /** Opens the block just written under this set's directory (see `writeBlock`) and adds it. */
  add(meta: BlockMeta): Promise<Block> {
    return this.#exclusive(async () => {
      const block = await Block.open(join(this.dir, meta.ulid));
      this.#insert(block);
      return block;
    });
  }

  /**
   * Plans and merges blocks until the planner finds nothing more to do, swapping each new block in
   * and its parents out. Resolves to the metadata of the blocks made. `ranges` default to
   * {@link compactionRanges}().
   */
  compact(ranges: readonly number[] = compactionRanges()): Promise<BlockMeta[]> {
    return this.#exclusive(async () => {
      const made: BlockMeta[] = [];
      for (;;) {
        const plan = planCompaction(
          this.#entries.map((e) => e.block.meta),
          ranges,
        );
        if (plan.length === 0) return made;
        const inputs = plan.map((m) => this.#entries.find((e) => e.block.ulid === m.ulid)!);
        const meta = await compact(
          this.dir,
          inputs.map((e) => e.block),
          { syncMode: this.#syncMode },
        );
        this.#insert(await Block.open(join(this.dir, meta.ulid)));
        for (const e of inputs) await this.#retire(e);
        made.push(meta);
      }
    });
  }

  /** Deletes the blocks that `limits` rule out (see `retentionVictims`); resolves to them. */
  applyRetention(limits: RetentionLimits): Promise<RetentionVictim[]> {
    return this.#exclusive(async () => {
      const victims = retentionVictims(
        this.#entries.map((e) => ({ meta: e.block.meta, sizeBytes: e.block.sizeBytes })),
        limits,
      );
      for (const v of victims) await this.#retire(this.#entries.find((e) => e.block.ulid === v.ulid)!);
      return victims;
    });
  }

  /**
   * A querier over `[mint, maxt]` (ms, inclusive) merging every block that overlaps the range (see
   * `BlockSetQuerier`). The blocks are held until the querier is closed.
   */
  querier(mint: number, maxt: number): Querier {
    if (this.#closed) throw new BlockError("block_closed", this.dir, "block set used after close()");
    const chosen = this.#entries
      .filter((e) => e.block.overlaps(mint, maxt))
      .sort((a, b) => (a.block.ulid < b.block.ulid ? -1 : 1));
    for (const e of chosen) e.refs++;
    return new BlockSetQuerier(
      chosen.map((e) => e.block.querier(mint, maxt)),
      () => {
        for (const e of chosen) this.#release(e);
      },
    );
  }

  /** Resolves once every deferred removal started so far has finished. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /**
   * Closes the set: blocks not being read are closed now, the others when their last querier
   * closes. Waits for the operations in progress. Idempotent.
   */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      const entries = this.#entries;
      this.#entries = [];
      for (const e of entries) {
        if (e.refs === 0) await e.block.close();
        else e.closeWhenFree = true;
      }
      await this.settle();
    }, true);
  }

  get #syncMode(): "always" | "never" {
    return this.opts.syncMode ?? "always";
  }

  #insert(block: Block): void {
    this.#entries.push({ block, refs: 0, retired: undefined, closeWhenFree: false });
    this.#entries.sort(
      (a, b) => a.block.meta.minTime - b.block.meta.minTime || (a.block.ulid < b.block.ulid ? -1 : 1),
    );
  }

  /** Takes a block out of the set: renamed to `.deleted` now, removed once no querier holds it. */
  async #retire(entry: Entry): Promise<void> {
    entry.retired = await markDeleted(this.dir, entry.block.ulid, this.#syncMode === "always");
    this.#entries = this.#entries.filter((e) => e !== entry);
    if (entry.refs === 0) this.#destroy(entry);
  }

  #release(entry: Entry): void {
    entry.refs--;
    if (entry.refs > 0) return;
    if (entry.retired !== undefined) this.#destroy(entry);
    else if (entry.closeWhenFree) this.#track(entry.block.close(), entry.block.dir);
  }

  #destroy(entry: Entry): void {
    const path = entry.retired!;
    this.#track(
      (async () => {
        await entry.block.close();
        await removeDir(path);
      })(),
      path,
    );
  }

  /** Keeps a background removal or close in `#pending`; its failure becomes a problem. */
  #track(work: Promise<void>, dir: string): void {
    const p = work.then(
      () => {},
      (err: unknown) => this.#report({ dir, error: err instanceof Error ? err : new Error(String(err)) }),
    );
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  #report(problem: BlockProblem): void {
    this.#problems.push(problem);
    this.opts.onProblem?.(problem);
  }

  /** Runs `fn` after every operation queued before it; refuses once the set is closed (unless `evenClosed`). */
  #exclusive<T>(fn: () => Promise<T>, evenClosed = false): Promise<T> {
    const run = this.#lock.then(() => {
      if (this.#closed && !evenClosed) {
        throw new BlockError("block_closed", this.dir, "block set used after close()");
      }
      return fn();
    });
    this.#lock = run.catch(() => {});
    return run;
  }
}
