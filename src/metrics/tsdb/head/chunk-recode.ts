import type { BlockChunk } from "../block/block-source.js";
import {
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_MAX_SAMPLE_BYTES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkAppender,
  XorChunkIterator,
} from "../chunk/index.js";

/**
 * Encodes a stream of samples into fresh XOR chunks, cut as the head cuts its own: after
 * {@link XOR_CHUNK_TARGET_SAMPLES} samples, or before a chunk could pass {@link XOR_CHUNK_MAX_BYTES}.
 * Used where the head's chunks cannot be handed on as they are (a block range that needs the
 * out-of-order samples merged in). Timestamps must increase; values are kept bit for bit. Holds one
 * open chunk and the closed chunks' bytes, never the samples themselves.
 */
export class ChunkRecoder {
  #chunks: BlockChunk[] = [];
  #app: XorChunkAppender | undefined;

  /** Appends `(t, v)`: `t` in ms, greater than the last one appended. */
  append(t: number, v: number): void {
    let app = this.#app;
    if (
      app === undefined ||
      app.numSamples >= XOR_CHUNK_TARGET_SAMPLES ||
      app.byteLength > XOR_CHUNK_MAX_BYTES - XOR_CHUNK_MAX_SAMPLE_BYTES
    ) {
      this.#close();
      app = new XorChunkAppender(256);
      this.#app = app;
    }
    app.append(t, v);
  }

  /** The chunks made, in time order, and starts over empty. */
  finish(): BlockChunk[] {
    this.#close();
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }

  #close(): void {
    const app = this.#app;
    if (app === undefined) return;
    this.#chunks.push({ bytes: app.bytes().slice(), minT: app.minT, maxT: app.maxT });
    this.#app = undefined;
  }
}

/** What {@link trimChunks} keeps of a series' chunks. */
export interface TrimmedChunks {
  /** The closed chunks left, oldest first; undefined when none. */
  readonly closed: BlockChunk[] | undefined;
  /** The open chunk: the same appender, or a new one when it had older samples. */
  readonly open: XorChunkAppender;
  /** Samples dropped. */
  readonly dropped: number;
}

/**
 * A series' chunks without their samples older than `bound` (ms), for a head truncation: closed
 * chunks ending before it go; one that straddles it (possible only when `bound` is not a block
 * boundary), and the open chunk if it does, is re-encoded with its samples from `bound` on, bit
 * for bit. The open chunk must hold a sample at or after `bound`. `closed` is not changed; it is
 * returned as it is when nothing in it goes.
 */
export function trimChunks(
  closed: BlockChunk[] | undefined,
  open: XorChunkAppender,
  bound: number,
): TrimmedChunks {
  let dropped = 0;
  let kept = closed;
  if (closed !== undefined && closed.length > 0 && closed[0]!.minT < bound) {
    let k = 0;
    while (k < closed.length && closed[k]!.maxT < bound) dropped += chunkSamples(closed[k++]!.bytes);
    kept = closed.slice(k);
    const first = kept[0];
    if (first === undefined) kept = undefined;
    else if (first.minT < bound) {
      const app = recodeFrom(first.bytes, bound, first.bytes.length);
      dropped += chunkSamples(first.bytes) - app.numSamples;
      kept[0] = { bytes: app.bytes().slice(), minT: app.minT, maxT: app.maxT };
    }
  }
  let out = open;
  if (open.minT < bound) {
    out = recodeFrom(open.bytes(), bound, 64);
    dropped += open.numSamples - out.numSamples;
  }
  return { closed: kept, open: out, dropped };
}

/** A new appender holding the samples of the XOR chunk `bytes` at or after `mint` (ms), bit for bit. */
function recodeFrom(bytes: Uint8Array, mint: number, initialBytes: number): XorChunkAppender {
  const out = new XorChunkAppender(initialBytes);
  const it = new XorChunkIterator(bytes);
  while (it.next()) if (it.t >= mint) out.append(it.t, it.v);
  return out;
}

/** The number of samples of XOR chunk data, from its header (`docs/format/chunks.md`). */
export function chunkSamples(bytes: Uint8Array): number {
  return ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
}
