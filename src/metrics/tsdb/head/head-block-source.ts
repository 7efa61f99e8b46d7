import { Labels } from "../../../model/labels.js";
import type { BlockChunk, BlockSeries, BlockSource } from "../block/block-source.js";
import { ChunkRecoder } from "./chunk-recode.js";
import { HeadSeriesIterator, type OooSlice } from "./head-iterator.js";

/** What a {@link HeadBlockSource} reads of the head (the head implements it). */
export interface BlockSourceHead {
  /** One past the highest series ref. */
  readonly refLimit: number;
  /** The labels of series `ref`; undefined once it was removed. */
  labelsOf(ref: number): Labels | undefined;
  /** Whether series `ref` may have a sample in `[mint, maxt]` (ms, inclusive): cheap, no decoding. */
  overlaps(ref: number, mint: number, maxt: number): boolean;
  /**
   * The chunks of series `ref` overlapping `[mint, maxt]` (ms, inclusive), in time order — the open
   * one as a private copy — and its out-of-order samples in that range; undefined when neither.
   */
  chunksIn(
    ref: number,
    mint: number,
    maxt: number,
  ): { chunks: BlockChunk[]; ooo: OooSlice | undefined } | undefined;
}

/**
 * The head's data in the block range `[mint, maxt)` (ms; `maxt` exclusive, as block ranges are),
 * for the block writer. Series come in `Labels.compare` order, each with its samples in the range:
 * chunks lying wholly inside it are handed on as they are (closed ones shared, the open one
 * copied); a series with out-of-order samples in the range, or a chunk reaching past it, has its
 * samples in the range decoded, merged with the late ones (the in-order sample wins a timestamp
 * both hold, as in reads) and encoded into fresh chunks of at most 120 samples. Series without a
 * sample in the range are left out.
 *
 * {@link series} is a generator: each pass sorts the refs of the series overlapping the range,
 * then produces one series at a time, so no more than one series' samples are decoded at once.
 * A series is read when it is produced: the range should be one no more writes fall into (the
 * head's `minValidTime` and the compaction scheduler see to that); a series removed meanwhile is
 * skipped.
 */
export class HeadBlockSource implements BlockSource {
  constructor(
    private readonly head: BlockSourceHead,
    /** Start of the range, ms, inclusive. */
    readonly mint: number,
    /** End of the range, ms, exclusive. */
    readonly maxt: number,
  ) {
    if (!(mint < maxt)) throw new RangeError(`block range [${mint}, ${maxt}) is empty`);
  }

  *series(): Generator<BlockSeries> {
    const head = this.head;
    const mint = this.mint;
    const last = this.maxt - 1;
    const refs: number[] = [];
    for (let ref = 0; ref < head.refLimit; ref++) if (head.overlaps(ref, mint, last)) refs.push(ref);
    refs.sort((a, b) => Labels.compare(head.labelsOf(a)!, head.labelsOf(b)!));
    const recoder = new ChunkRecoder();
    for (const ref of refs) {
      const labels = head.labelsOf(ref);
      if (labels === undefined) continue;
      const data = head.chunksIn(ref, mint, last);
      if (data === undefined) continue;
      let chunks = data.chunks;
      if (data.ooo !== undefined || chunks.some((c) => c.minT < mint || c.maxT > last)) {
        const it = new HeadSeriesIterator(
          chunks.map((c) => c.bytes),
          mint,
          last,
          data.ooo,
        );
        while (it.next()) recoder.append(it.t, it.v);
        chunks = recoder.finish();
      }
      if (chunks.length > 0) yield { labels, chunks };
    }
  }
}
