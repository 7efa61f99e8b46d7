import type { Labels } from "../../../model/labels.js";
import type { BlockChunk } from "../block/block-source.js";
import type { XorChunkAppender } from "../chunk/index.js";
import { chunkSamples, trimChunks } from "./chunk-recode.js";
import type { OooSlice } from "./head-iterator.js";
import type { OooBuffer } from "./ooo-buffer.js";

/**
 * The head's per-series columns, indexed by series ref (the `Head` owns them), as its truncation
 * and its checkpoint go through them. A ref without labels is no live series.
 */
export interface SeriesColumns {
  /** One past the highest ref handed out. */
  readonly refLimit: number;
  readonly labels: readonly (Labels | undefined)[];
  /** Newest timestamp per series, ms; −Infinity while it has none. */
  readonly lastT: Float64Array;
  readonly open: (XorChunkAppender | undefined)[];
  /** Closed chunks per series, oldest first. */
  readonly closed: (BlockChunk[] | undefined)[];
  readonly ooo: (OooBuffer | undefined)[];
}

/** What {@link trimColumns} did. */
export interface TrimResult {
  /** The live series left without a sample, ascending: the caller removes them. */
  readonly gone: number[];
  /** Samples dropped, those of `gone` included. */
  readonly dropped: number;
  /** Oldest and newest timestamp of the samples left, ms (±Infinity when none). */
  readonly minT: number;
  readonly maxT: number;
}

/**
 * Drops every sample older than `bound` (ms) from the columns: closed chunks ending before it, the
 * older samples of a chunk that straddles it (re-encoded), late samples before it. A series whose
 * newest sample is older than `bound` has nothing left (its late samples are older still): it is
 * only listed in `gone`, its columns untouched. O(series) plus the chunks that change.
 */
export function trimColumns(cols: SeriesColumns, bound: number): TrimResult {
  const gone: number[] = [];
  let dropped = 0;
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  for (let ref = 0; ref < cols.refLimit; ref++) {
    if (cols.labels[ref] === undefined) continue;
    const last = cols.lastT[ref]!;
    if (last < bound) {
      dropped += samplesOf(cols, ref);
      gone.push(ref);
      continue;
    }
    // The newest sample is in the open chunk, so it is kept.
    const kept = trimChunks(cols.closed[ref], cols.open[ref]!, bound);
    cols.closed[ref] = kept.closed;
    cols.open[ref] = kept.open;
    dropped += kept.dropped;
    const ooo = cols.ooo[ref];
    if (ooo !== undefined) {
      dropped += ooo.dropBefore(bound);
      if (ooo.length === 0) cols.ooo[ref] = undefined;
    }
    const first = kept.closed?.[0]?.minT ?? kept.open.minT;
    minT = Math.min(minT, first, cols.ooo[ref]?.minT ?? Number.POSITIVE_INFINITY);
    if (last > maxT) maxT = last;
  }
  return { gone, dropped, minT, maxT };
}

/** The samples series `ref` holds. */
function samplesOf(cols: SeriesColumns, ref: number): number {
  let n = (cols.open[ref]?.numSamples ?? 0) + (cols.ooo[ref]?.length ?? 0);
  for (const c of cols.closed[ref] ?? []) n += chunkSamples(c.bytes);
  return n;
}

/** Per-series counts of the columns at one moment, for a checkpoint (see `HeadCut`). */
export interface ColumnCounts {
  readonly refLimit: number;
  /** Per ref: closed chunks, or −1 for no live series. */
  readonly closed: Int32Array;
  /** Per ref: samples in the open chunk (0: none). */
  readonly openSamples: Int32Array;
  /** Copies of the out-of-order buffers, by ref. */
  readonly ooo: Map<number, OooSlice>;
}

/** Counts the columns now: O(series), copying only the out-of-order buffers. */
export function countColumns(cols: SeriesColumns): ColumnCounts {
  const refLimit = cols.refLimit;
  const closed = new Int32Array(refLimit).fill(-1);
  const openSamples = new Int32Array(refLimit);
  const ooo = new Map<number, OooSlice>();
  for (let ref = 0; ref < refLimit; ref++) {
    if (cols.labels[ref] === undefined) continue;
    closed[ref] = cols.closed[ref]?.length ?? 0;
    openSamples[ref] = cols.open[ref]?.numSamples ?? 0;
    const late = cols.ooo[ref]?.slice(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    if (late !== undefined) ooo.set(ref, late);
  }
  return { refLimit, closed, openSamples, ooo };
}
