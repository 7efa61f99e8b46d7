import { access, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { ChunkFileWriter } from "../chunk/index.js";
import { type ChunkMeta, IndexWriter } from "../index/index.js";
import { fsyncDir, removeDir, TMP_SUFFIX } from "./block-dir.js";
import { BlockError } from "./block-errors.js";
import { BLOCK_META_VERSION, type BlockMeta, type BlockParent, writeBlockMeta } from "./block-meta.js";
import type { BlockChunk, BlockSeries, BlockSource } from "./block-source.js";
import { isUlid, newUlid } from "./ulid.js";

/** Options of {@link writeBlock}. */
export interface WriteBlockOptions {
  /** Inclusive start of the block's range, ms. */
  readonly minTime: number;
  /** Exclusive end of the block's range, ms. */
  readonly maxTime: number;
  /** Compaction level, ≥ 1 (default 1: a block cut from the head). */
  readonly level?: number;
  /** ULIDs of the level-1 blocks the data comes from (default: the new block itself). */
  readonly sources?: readonly string[];
  /** The blocks merged into this one (default none). */
  readonly parents?: readonly BlockParent[];
  /** `"never"` skips the block writer's fsyncs (tests, benchmarks). Default `"always"`. */
  readonly syncMode?: "always" | "never";
  /** The new block's ULID (default: a fresh one). */
  readonly ulid?: string;
  /** Chunk segment size cap, bytes (default 128 MiB; tests use small ones). */
  readonly segmentBytes?: number;
}

/**
 * Writes the series of `source` as a new block under `parentDir` and returns its metadata, or
 * undefined (and writes nothing) when the source holds no series with chunks. The block is written
 * into `<ulid>.tmp/` and renamed into place only when complete (docs/format/block.md, "Writing a
 * block atomically"); on any failure the temporary directory is removed.
 *
 * The source is streamed: one series' chunk metas are held at a time, plus the index writer's
 * encoded series entries; nothing grows with the number of samples. Series must come in strictly
 * increasing label order (the index writer refuses others); every chunk must be non-empty, lie
 * inside `[minTime, maxTime)` and start after the previous chunk of its series ends, else
 * {@link BlockError} `block_invalid_chunk`. A series without chunks is skipped.
 */
export async function writeBlock(
  parentDir: string,
  source: BlockSource,
  opts: WriteBlockOptions,
): Promise<BlockMeta | undefined> {
  const ulid = opts.ulid ?? newUlid();
  const final = join(parentDir, ulid);
  checkOptions(final, ulid, opts);
  const sync = opts.syncMode !== "never";
  await mkdir(parentDir, { recursive: true });
  if (await exists(final)) throw new BlockError("block_invalid_options", final, "the block already exists");
  const tmp = join(parentDir, ulid + TMP_SUFFIX);
  await mkdir(tmp);
  let chunks: ChunkFileWriter | undefined;
  let index: IndexWriter | undefined;
  try {
    chunks = await ChunkFileWriter.create(
      join(tmp, "chunks"),
      opts.segmentBytes !== undefined ? { segmentBytes: opts.segmentBytes } : {},
    );
    index = await IndexWriter.create(join(tmp, "index"), { sync: sync ? "always" : "never" });
    let numSeries = 0;
    let numChunks = 0;
    let numSamples = 0;
    const metas: ChunkMeta[] = [];
    for await (const series of source.series()) {
      if (series.chunks.length === 0) continue;
      metas.length = 0;
      let prevMaxT = Number.NEGATIVE_INFINITY;
      for (const c of series.chunks) {
        numSamples += checkChunk(tmp, series, c, prevMaxT, opts);
        prevMaxT = c.maxT;
        metas.push({ minT: c.minT, maxT: c.maxT, ref: await chunks.append(c.bytes) });
      }
      index.addSeries(series.labels, metas);
      numSeries++;
      numChunks += metas.length;
    }
    if (numSeries === 0) {
      await index.abort();
      await chunks.close();
      await removeDir(tmp);
      return undefined;
    }
    // The index must only reference chunks already durable: close (and sync) the chunks first.
    await chunks.close();
    await index.finish();
    const meta: BlockMeta = {
      ulid,
      minTime: opts.minTime,
      maxTime: opts.maxTime,
      stats: { numSamples, numSeries, numChunks },
      compaction: {
        level: opts.level ?? 1,
        sources: [...(opts.sources ?? [ulid])].sort(),
        parents: [...(opts.parents ?? [])].sort((a, b) => (a.ulid < b.ulid ? -1 : 1)),
      },
      version: BLOCK_META_VERSION,
    };
    await writeBlockMeta(tmp, meta, sync);
    if (sync) await fsyncDir(tmp);
    await rename(tmp, final);
    if (sync) await fsyncDir(parentDir);
    return meta;
  } catch (err) {
    await index?.abort().catch(() => {});
    await chunks?.close().catch(() => {});
    await removeDir(tmp);
    throw err;
  }
}

/** Checks one chunk of a series; returns its sample count (from the XOR chunk's header). */
function checkChunk(
  dir: string,
  series: BlockSeries,
  c: BlockChunk,
  prevMaxT: number,
  opts: WriteBlockOptions,
): number {
  const bad = (what: string): never => {
    throw new BlockError(
      "block_invalid_chunk",
      dir,
      `series ${series.labels.toString()}: chunk [${c.minT}, ${c.maxT}] ${what}`,
    );
  };
  if (!Number.isSafeInteger(c.minT) || !Number.isSafeInteger(c.maxT) || c.minT > c.maxT) {
    bad("is not a range of integer ms");
  }
  if (c.minT < opts.minTime || c.maxT >= opts.maxTime) {
    bad(`lies outside the block's range [${opts.minTime}, ${opts.maxTime})`);
  }
  if (c.minT <= prevMaxT) bad(`does not start after the previous chunk's end ${prevMaxT}`);
  const n = c.bytes.length >= 2 ? (c.bytes[0]! << 8) | c.bytes[1]! : 0;
  if (n === 0) bad("holds no samples");
  return n;
}

function checkOptions(dir: string, ulid: string, opts: WriteBlockOptions): void {
  const bad = (what: string): never => {
    throw new BlockError("block_invalid_options", dir, what);
  };
  if (!isUlid(ulid)) bad(`${JSON.stringify(ulid)} is not a ULID`);
  const { minTime, maxTime, level } = opts;
  if (!Number.isSafeInteger(minTime) || !Number.isSafeInteger(maxTime) || !(minTime < maxTime)) {
    bad(`range [${minTime}, ${maxTime}) is not minTime < maxTime in integer ms`);
  }
  if (level !== undefined && (!Number.isSafeInteger(level) || level < 1)) bad(`level ${level} is not ≥ 1`);
  if (opts.sources !== undefined && opts.sources.length === 0) bad("sources must name at least one block");
  for (const s of opts.sources ?? []) if (!isUlid(s)) bad(`source ${JSON.stringify(s)} is not a ULID`);
  for (const p of opts.parents ?? [])
    if (!isUlid(p.ulid)) bad(`parent ${JSON.stringify(p.ulid)} is not a ULID`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
