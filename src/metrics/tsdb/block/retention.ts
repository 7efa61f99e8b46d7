import type { BlockMeta } from "./block-meta.js";

/** A block as retention sees it: its metadata and its size on disk. */
export interface SizedBlock {
  readonly meta: Pick<BlockMeta, "ulid" | "minTime" | "maxTime">;
  /** Bytes on disk. */
  readonly sizeBytes: number;
}

/** The retention limits of one tenant. 0 or absent means no limit. */
export interface RetentionLimits {
  /** Keep data newer than the newest data minus this many ms. */
  readonly retentionMs?: number;
  /** Keep the newest blocks whose sizes (plus `reservedBytes`) sum to at most this many bytes. */
  readonly retentionBytes?: number;
  /**
   * The newest data time known, ms, e.g. the head's newest sample. The time limit is measured from
   * the later of this and the greatest block `maxTime`.
   */
  readonly newestDataMs?: number;
  /** Bytes counted against `retentionBytes` before any block (the head's WAL and chunks). */
  readonly reservedBytes?: number;
}

/** A block that retention deletes, and which limit it broke. */
export interface RetentionVictim {
  readonly ulid: string;
  readonly reason: "time" | "size";
}

/**
 * The blocks to delete under `limits`, oldest first (docs/format/block.md, "Retention"):
 *
 * - by time, every block with `maxTime ≤ reference − retentionMs`, where the reference is the
 *   greatest block `maxTime` or `newestDataMs` when that is later (never the wall clock);
 * - by size, going from the newest block (greatest `maxTime`) to the oldest and summing sizes from
 *   `reservedBytes`, the first block that takes the sum past `retentionBytes` and every older one.
 */
export function retentionVictims(blocks: readonly SizedBlock[], limits: RetentionLimits): RetentionVictim[] {
  const newestFirst = [...blocks].sort(
    (a, b) => b.meta.maxTime - a.meta.maxTime || (a.meta.ulid < b.meta.ulid ? 1 : -1),
  );
  const retentionMs = limits.retentionMs ?? 0;
  const retentionBytes = limits.retentionBytes ?? 0;
  let reference = limits.newestDataMs ?? Number.NEGATIVE_INFINITY;
  for (const b of blocks) reference = Math.max(reference, b.meta.maxTime);
  const victims: RetentionVictim[] = [];
  let total = limits.reservedBytes ?? 0;
  let overSize = false;
  for (const b of newestFirst) {
    if (retentionMs > 0 && b.meta.maxTime <= reference - retentionMs) {
      victims.push({ ulid: b.meta.ulid, reason: "time" });
      continue;
    }
    total += b.sizeBytes;
    if (retentionBytes > 0 && (overSize || total > retentionBytes)) {
      overSize = true;
      victims.push({ ulid: b.meta.ulid, reason: "size" });
    }
  }
  return victims.reverse();
}
