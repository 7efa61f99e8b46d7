import { Labels } from "../../../model/labels.js";
import type { SeriesDecoder } from "../index/index.js";
import type { Block } from "./block.js";
import { BlockError } from "./block-errors.js";
import type { BlockMeta } from "./block-meta.js";
import type { BlockChunk, BlockSeries } from "./block-source.js";
import { writeBlock } from "./block-writer.js";
import { mergeChunks } from "./chunk-merge.js";

/** Options of {@link compact}. */
export interface CompactOptions {
  /** `"never"` skips the block writer's fsyncs (tests, benchmarks). Default `"always"`. */
  readonly syncMode?: "always" | "never";
  /** The new block's ULID (default: a fresh one). */
  readonly ulid?: string;
  /** Chunk segment size cap, bytes. */
  readonly segmentBytes?: number;
}

/**
 * Merges `blocks` (open, at least one) into one new block under `parentDir` and returns its
 * metadata (docs/format/block.md, "Merging"). Its range is the union of theirs, its level their
 * highest + 1, its sources the union of theirs, its parents the blocks. A series in several blocks
 * becomes one; chunks that overlap no other chunk of the series are copied byte for byte, and
 * overlapping ones are decoded, merged and re-encoded, keeping on equal timestamps the sample of the
 * block with the greatest ULID (the one written last). The inputs are not changed or deleted.
 */
export async function compact(
  parentDir: string,
  blocks: readonly Block[],
  opts: CompactOptions = {},
): Promise<BlockMeta> {
  if (blocks.length === 0) throw new RangeError("compact needs at least one block");
  const sorted = [...blocks].sort((a, b) => (a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0));
  const sources = new Set<string>();
  for (const b of sorted) for (const s of b.meta.compaction.sources) sources.add(s);
  const meta = await writeBlock(
    parentDir,
    { series: () => mergeBlockSeries(sorted) },
    {
      minTime: Math.min(...sorted.map((b) => b.meta.minTime)),
      maxTime: Math.max(...sorted.map((b) => b.meta.maxTime)),
      level: Math.max(...sorted.map((b) => b.meta.compaction.level)) + 1,
      sources: [...sources],
      parents: sorted.map((b) => ({ ulid: b.ulid, minTime: b.meta.minTime, maxTime: b.meta.maxTime })),
      ...opts,
    },
  );
  if (meta === undefined) {
    throw new BlockError("block_inconsistent", parentDir, "the blocks to compact hold no series");
  }
  return meta;
}

/** One input block's position in the k-way merge. */
interface Cursor {
  readonly block: Block;
  readonly dec: SeriesDecoder;
  /** The id decoded in `dec`, or seriesCount when done. */
  id: number;
}

/** A chunk of a series in the merge, with the input it came from (index in ULID order). */
interface SourcedChunk {
  readonly minT: number;
  readonly maxT: number;
  readonly ref: number;
  readonly src: number;
}

/**
 * The series of `blocks` (sorted by ULID) merged in label order: one series at a time, with its
 * chunks from every block, overlapping ones merged (see {@link compact}).
 */
function* mergeBlockSeries(blocks: readonly Block[]): Generator<BlockSeries> {
  const cursors: Cursor[] = blocks.map((block) => ({ block, dec: block.index.seriesDecoder(), id: -1 }));
  for (const c of cursors) advance(c);
  const group: number[] = [];
  const chunks: SourcedChunk[] = [];
  for (;;) {
    // The smallest labels among the cursors, and every cursor on them.
    let labels: Labels | undefined;
    group.length = 0;
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i]!;
      if (c.id >= c.block.index.seriesCount) continue;
      const cmp = labels === undefined ? -1 : Labels.compare(c.dec.labels, labels);
      if (cmp < 0) {
        labels = c.dec.labels;
        group.length = 0;
      }
      if (cmp <= 0) group.push(i);
    }
    if (labels === undefined) return;
    chunks.length = 0;
    for (const i of group) {
      const { dec } = cursors[i]!;
      for (let k = 0; k < dec.chunkCount; k++) {
        chunks.push({ minT: dec.minT[k]!, maxT: dec.maxT[k]!, ref: dec.ref[k]!, src: i });
      }
      advance(cursors[i]!);
    }
    yield { labels, chunks: mergeSeriesChunks(blocks, chunks) };
  }
}

function advance(c: Cursor): void {
  c.id++;
  if (c.id < c.block.index.seriesCount) c.dec.decode(c.id);
}

/** One series' chunks from several blocks → chunks in time order, overlapping ones merged. */
function mergeSeriesChunks(blocks: readonly Block[], chunks: SourcedChunk[]): BlockChunk[] {
  chunks.sort((a, b) => a.minT - b.minT || a.src - b.src);
  const out: BlockChunk[] = [];
  for (let i = 0; i < chunks.length; ) {
    const first = chunks[i]!;
    let end = i + 1;
    let maxT = first.maxT;
    while (end < chunks.length && chunks[end]!.minT <= maxT) maxT = Math.max(maxT, chunks[end++]!.maxT);
    if (end === i + 1) {
      out.push({ minT: first.minT, maxT: first.maxT, bytes: blocks[first.src]!.chunk(first.ref) });
    } else {
      const cluster = chunks.slice(i, end).sort((a, b) => a.src - b.src || a.minT - b.minT);
      for (const c of mergeChunks(cluster.map((c) => blocks[c.src]!.chunk(c.ref)))) out.push(c);
    }
    i = end;
  }
  return out;
}
