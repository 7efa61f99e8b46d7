import {
  XOR_APPENDER_STATE_FIELDS,
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_MAX_SAMPLE_BYTES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkAppender,
} from "../chunk/index.js";
import type { ClosedChunk } from "./head.js";

/**
 * The head's rule for cutting series into chunks, and the chunk columns it applies to. A sample newer
 * than its series' newest is appended to the series' open chunk, after a new chunk is started when
 * the open one holds {@link XOR_CHUNK_TARGET_SAMPLES} samples, could pass {@link XOR_CHUNK_MAX_BYTES}
 * with one more, or started in an earlier block range than the sample's. The live head and the WAL
 * replay (on the opening thread or another, see `replay-encoder.ts`) both cut by this rule, so a
 * replayed head has the same chunks as the live one had.
 */

/**
 * The first buffer of an open chunk, bytes. At most 64 keeps it inside V8's heap (no separate
 * backing store per series); a chunk grows as its samples come (`XorChunkAppender`).
 */
export const CHUNK_INITIAL_BYTES = 64;

/** Per-series chunks, indexed by series ref. */
export interface ChunkColumns {
  /** The chunk being appended to. */
  readonly open: (XorChunkAppender | undefined)[];
  /** Full chunks, oldest first. */
  readonly closed: (ClosedChunk[] | undefined)[];
}

/** The end (exclusive, ms) of the block range of `blockMs` ms holding `t`: ranges are multiples of it. */
export function blockEnd(t: number, blockMs: number): number {
  // `%` is exact on doubles, so this stays exact for every safe timestamp, negative ones too.
  return t - (((t % blockMs) + blockMs) % blockMs) + blockMs;
}

/** Whether the sample at `t` starts a new chunk after `chunk`, which started before `end` (its block range's end). */
function mustCut(chunk: XorChunkAppender, t: number, end: number): boolean {
  return (
    chunk.numSamples >= XOR_CHUNK_TARGET_SAMPLES ||
    chunk.byteLength > XOR_CHUNK_MAX_BYTES - XOR_CHUNK_MAX_SAMPLE_BYTES ||
    t >= end
  );
}

/**
 * Appends the sample `(t, v)` to series `ref`'s chunks in `cols`, cutting by the rule above. `t`
 * must be newer than the series' newest sample (the caller checked).
 */
export function appendSample(cols: ChunkColumns, blockMs: number, ref: number, t: number, v: number): void {
  let chunk = cols.open[ref];
  if (chunk === undefined || mustCut(chunk, t, blockEnd(chunk.minT, blockMs))) {
    if (chunk !== undefined) closeChunk(cols, ref, chunk);
    chunk = new XorChunkAppender(CHUNK_INITIAL_BYTES);
    cols.open[ref] = chunk;
  }
  chunk.append(t, v);
}

/**
 * Appends samples `[from, to)` of `ts` (ms) and `vs` to series `ref`'s chunks, as
 * {@link appendSample} one after another: each must be newer than the one before it and the first
 * newer than the series' newest.
 */
export function appendRun(
  cols: ChunkColumns,
  blockMs: number,
  ref: number,
  ts: Float64Array,
  vs: Float64Array,
  from: number,
  to: number,
): void {
  let chunk = cols.open[ref];
  let end = chunk === undefined ? Number.NaN : blockEnd(chunk.minT, blockMs);
  for (let k = from; k < to; k++) {
    const t = ts[k]!;
    if (chunk === undefined || mustCut(chunk, t, end)) {
      if (chunk !== undefined) closeChunk(cols, ref, chunk);
      chunk = new XorChunkAppender(CHUNK_INITIAL_BYTES);
      cols.open[ref] = chunk;
      end = blockEnd(t, blockMs);
    }
    chunk.append(t, vs[k]!);
  }
}

function closeChunk(cols: ChunkColumns, ref: number, chunk: XorChunkAppender): void {
  let list = cols.closed[ref];
  if (list === undefined) {
    list = [];
    cols.closed[ref] = list;
  }
  list.push({ bytes: chunk.bytes().slice(), minT: chunk.minT, maxT: chunk.maxT });
}

/** Numbers per closed chunk in {@link PackedChunks.closed}: ref, minT, maxT, byte offset, byte length. */
const CLOSED_FIELDS = 5;
/** Numbers per open chunk in {@link PackedChunks.open}: ref, byte offset, byte length, the appender's state. */
const OPEN_FIELDS = 3 + XOR_APPENDER_STATE_FIELDS;

/** Chunk columns as a few typed arrays, to move them to another thread without a copy (transfer their buffers). */
export interface PackedChunks {
  /** Per closed chunk: ref, minT, maxT, offset and length of its bytes. Series ascending, each oldest first. */
  readonly closed: Float64Array;
  /** Per open chunk: ref, offset and length of its bytes, then its appender's saved state. */
  readonly open: Float64Array;
  /** Every chunk's bytes. */
  readonly bytes: Uint8Array;
}

/** Packs the chunks of refs `[0, refLimit)` of `cols` (which stay as they are). */
export function packChunks(cols: ChunkColumns, refLimit: number): PackedChunks {
  let nClosed = 0;
  let nOpen = 0;
  let size = 0;
  for (let ref = 0; ref < refLimit; ref++) {
    for (const c of cols.closed[ref] ?? []) {
      nClosed++;
      size += c.bytes.length;
    }
    const o = cols.open[ref];
    if (o !== undefined) {
      nOpen++;
      size += o.byteLength;
    }
  }
  const closed = new Float64Array(nClosed * CLOSED_FIELDS);
  const open = new Float64Array(nOpen * OPEN_FIELDS);
  const bytes = new Uint8Array(size);
  let at = 0;
  let ci = 0;
  let oi = 0;
  for (let ref = 0; ref < refLimit; ref++) {
    for (const c of cols.closed[ref] ?? []) {
      closed[ci] = ref;
      closed[ci + 1] = c.minT;
      closed[ci + 2] = c.maxT;
      closed[ci + 3] = at;
      closed[ci + 4] = c.bytes.length;
      ci += CLOSED_FIELDS;
      bytes.set(c.bytes, at);
      at += c.bytes.length;
    }
    const o = cols.open[ref];
    if (o !== undefined) {
      const b = o.bytes();
      open[oi] = ref;
      open[oi + 1] = at;
      open[oi + 2] = b.length;
      o.saveState(open, oi + 3);
      oi += OPEN_FIELDS;
      bytes.set(b, at);
      at += b.length;
    }
  }
  return { closed, open, bytes };
}

/**
 * Adds the chunks of `p` to `cols`: closed chunks after the ones a series has (copied out of
 * `p.bytes`), open ones as appenders that go on where the packed ones were. Throws if a series in
 * `p` already has an open chunk in `cols`.
 */
export function unpackChunks(p: PackedChunks, cols: ChunkColumns): void {
  const { closed, open, bytes } = p;
  for (let i = 0; i < closed.length; i += CLOSED_FIELDS) {
    const ref = closed[i]!;
    const at = closed[i + 3]!;
    let list = cols.closed[ref];
    if (list === undefined) {
      list = [];
      cols.closed[ref] = list;
    }
    list.push({ bytes: bytes.slice(at, at + closed[i + 4]!), minT: closed[i + 1]!, maxT: closed[i + 2]! });
  }
  for (let i = 0; i < open.length; i += OPEN_FIELDS) {
    const ref = open[i]!;
    if (cols.open[ref] !== undefined)
      throw new Error(`unpackChunks: series ${ref} has an open chunk already`);
    const at = open[i + 1]!;
    cols.open[ref] = XorChunkAppender.resume(bytes.subarray(at, at + open[i + 2]!), open, i + 3);
  }
}
