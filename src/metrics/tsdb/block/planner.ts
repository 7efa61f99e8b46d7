import type { BlockMeta } from "./block-meta.js";

/** What the planner needs of a block: its name and range `[minTime, maxTime)`. */
export type PlannedBlock = Pick<BlockMeta, "ulid" | "minTime" | "maxTime">;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The duration of the blocks the head cuts: 2 h. */
export const DEFAULT_BLOCK_DURATION_MS = 2 * HOUR;
/** The largest block compaction makes when retention does not set a smaller one: 31 days. */
export const MAX_BLOCK_DURATION_MS = 31 * DAY;

/** Options of {@link compactionRanges}. */
export interface CompactionRangesOptions {
  /** The first range: the head's block duration, ms (default 2 h). */
  readonly blockDurationMs?: number;
  /** Retention by time, ms (0 or absent: none); blocks stay within 10 % of it. */
  readonly retentionMs?: number;
  /** The largest range allowed, ms (default 31 days). */
  readonly maxBlockDurationMs?: number;
}

/**
 * The ladder of compaction ranges (docs/format/block.md, "Ranges"): the block duration, then each
 * range three times the one before, stopping before a range would pass the largest block allowed
 * — `maxBlockDurationMs`, or 10 % of the retention when that is smaller. The first range is always
 * there. Default: 2 h, 6 h, 18 h, 54 h, 162 h, 486 h.
 */
export function compactionRanges(opts: CompactionRangesOptions = {}): number[] {
  const first = opts.blockDurationMs ?? DEFAULT_BLOCK_DURATION_MS;
  if (!Number.isSafeInteger(first) || first <= 0) {
    throw new RangeError(`block duration ${first} ms is not a positive integer`);
  }
  let cap = opts.maxBlockDurationMs ?? MAX_BLOCK_DURATION_MS;
  const retention = opts.retentionMs ?? 0;
  if (retention > 0) cap = Math.min(cap, Math.floor(retention / 10));
  const out = [first];
  for (let r = first * 3; r <= cap; r *= 3) out.push(r);
  return out;
}

/**
 * The blocks to merge next, sorted by `minTime`, or an empty list when there is nothing to do
 * (docs/format/block.md, "Planning one step"):
 *
 * 1. the first group of two or more blocks that overlap (vertical compaction);
 * 2. else, with the newest block set aside, for each range above the first (smallest first), the
 *    first aligned window holding two or more whole blocks that either span the window or end no
 *    later than the start of the newest remaining block.
 *
 * `ranges` are increasing durations in ms, e.g. from {@link compactionRanges}.
 */
export function planCompaction<M extends PlannedBlock>(metas: readonly M[], ranges: readonly number[]): M[] {
  const sorted = [...metas].sort(byMinTime);
  const overlapping = firstOverlappingGroup(sorted);
  if (overlapping.length > 0) return overlapping;
  // The newest block was just cut from the head: leave it as it is for one more block period.
  const candidates = sorted.slice(0, -1);
  if (candidates.length < 2) return [];
  const highTime = candidates[candidates.length - 1]!.minTime;
  for (const range of ranges.slice(1)) {
    for (const window of alignedWindows(candidates, range)) {
      if (window.blocks.length < 2) continue;
      const first = window.blocks[0]!;
      const last = window.blocks[window.blocks.length - 1]!;
      const spans = first.minTime === window.start && last.maxTime === window.start + range;
      if (spans || last.maxTime <= highTime) return window.blocks;
    }
  }
  return [];
}

function byMinTime(a: PlannedBlock, b: PlannedBlock): number {
  return a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0);
}

/** The first run of two or more blocks (sorted by minTime) each starting before the run's greatest maxTime. */
function firstOverlappingGroup<M extends PlannedBlock>(sorted: readonly M[]): M[] {
  let group: M[] = [];
  let groupMax = Number.NEGATIVE_INFINITY;
  for (const m of sorted) {
    if (m.minTime < groupMax) {
      group.push(m);
    } else {
      if (group.length > 1) return group;
      group = [m];
    }
    groupMax = Math.max(groupMax, m.maxTime);
  }
  return group.length > 1 ? group : [];
}

/**
 * The blocks (sorted by minTime) grouped by the window `[k·range, (k+1)·range)` that holds each
 * whole, in time order; blocks that cross a window's end are left out.
 */
function alignedWindows<M extends PlannedBlock>(
  sorted: readonly M[],
  range: number,
): { start: number; blocks: M[] }[] {
  const out: { start: number; blocks: M[] }[] = [];
  for (const m of sorted) {
    const start = Math.floor(m.minTime / range) * range;
    if (m.maxTime > start + range) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.start === start) last.blocks.push(m);
    else out.push({ start, blocks: [m] });
  }
  return out;
}
