import {
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_MAX_SAMPLE_BYTES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkAppender,
  XorChunkIterator,
} from "../chunk/index.js";
import type { BlockChunk } from "./block-source.js";
import { MergeSampleIterator } from "./merge-iterator.js";

/**
 * Merges overlapping XOR chunks of one series into new chunks: the samples of all of them in time
 * order, one per timestamp — on equal timestamps the chunk with the highest index in `chunks` wins
 * (callers order them from the oldest block to the newest) — re-encoded and cut as the head cuts
 * chunks: after {@link XOR_CHUNK_TARGET_SAMPLES} samples, or before a chunk would pass
 * {@link XOR_CHUNK_MAX_BYTES}. The result is in time order, chunks not overlapping; values are
 * kept bit for bit.
 */
export function mergeChunks(chunks: readonly Uint8Array[]): BlockChunk[] {
  const merged = new MergeSampleIterator(chunks.map((bytes) => new XorChunkIterator(bytes)));
  const out: BlockChunk[] = [];
  let app: XorChunkAppender | undefined;
  const cut = (a: XorChunkAppender): void => {
    out.push({ minT: a.minT, maxT: a.maxT, bytes: a.bytes().slice() });
  };
  while (merged.next()) {
    if (
      app !== undefined &&
      (app.numSamples >= XOR_CHUNK_TARGET_SAMPLES ||
        app.byteLength > XOR_CHUNK_MAX_BYTES - XOR_CHUNK_MAX_SAMPLE_BYTES)
    ) {
      cut(app);
      app = undefined;
    }
    app ??= new XorChunkAppender();
    app.append(merged.t, merged.v);
  }
  if (app !== undefined) cut(app);
  return out;
}
