import type { ChunkReader, LogDirection, LogEntry } from "./chunk.js";
import type { StreamLabels } from "./querier.js";
import type { TrigramFilter } from "./trigram-filter.js";

/**
 * What a query merges: the chunks and open entries of one stream held by one part of the store (the
 * head, a block being written, a block on disk). The same stream (same labels) may come from several
 * parts; the merge orders entries by time, then stream key, then part.
 */

/** A chunk a query can read: its range and counts up front, its entries on demand. */
export interface ChunkRef {
  /** First and last timestamp, ns, inclusive. */
  readonly minTs: bigint;
  readonly maxTs: bigint;
  readonly entryCount: number;
  /** Sum of its lines' lengths (UTF-16 code units; bytes for ASCII). */
  readonly lineBytes: number;
  /** The trigram filter of its lines, if it has one: a `|=` scan skips the chunk when it rules the needle out. */
  readonly filter?: TrigramFilter | undefined;
  /**
   * The entries in `[from, to)` in `direction` order, decoded as the caller pulls; with `contains`,
   * only those whose line contains every one of the strings (found in the decompressed bytes before
   * any line is decoded).
   */
  entries(
    from: bigint,
    to: bigint,
    direction: LogDirection,
    contains?: readonly string[],
  ): Iterator<LogEntry>;
}

/** One stream as one part of the store holds it. */
export interface StreamSource {
  /** Canonical selector text of the labels (`streamKey`). */
  readonly key: string;
  readonly labels: StreamLabels;
  /** Immutable chunks, in the order they were cut. */
  readonly chunks: readonly ChunkRef[];
  /** Entries not yet in a chunk, in time order (empty for blocks). */
  readonly open: readonly LogEntry[];
}

/** A chunk held in memory: its encoded bytes (written to a block by a flush) and a reader over them. */
export class MemChunk implements ChunkRef {
  constructor(
    readonly bytes: Uint8Array,
    readonly reader: ChunkReader,
    readonly lineBytes: number,
    readonly filter?: TrigramFilter,
  ) {}

  get minTs(): bigint {
    return this.reader.minTs;
  }

  get maxTs(): bigint {
    return this.reader.maxTs;
  }

  get entryCount(): number {
    return this.reader.entryCount;
  }

  entries(
    from: bigint,
    to: bigint,
    direction: LogDirection,
    contains?: readonly string[],
  ): Iterator<LogEntry> {
    return chunkEntries(this.reader, from, to, direction, contains);
  }
}

/** Chunk, entry and line-byte counts of a stream source's chunks and open entries overlapping `[from, to)`. */
export function sourceStats(
  s: StreamSource,
  from: bigint,
  to: bigint,
): { chunks: number; entries: number; bytes: number } {
  const out = { chunks: 0, entries: 0, bytes: 0 };
  for (const c of s.chunks) {
    if (c.maxTs < from || c.minTs >= to) continue;
    out.chunks++;
    out.entries += c.entryCount;
    out.bytes += c.lineBytes;
  }
  const first = s.open[0];
  if (first !== undefined && first.tsNs < to && s.open.at(-1)!.tsNs >= from) {
    out.chunks++;
    out.entries += s.open.length;
    for (const e of s.open) out.bytes += e.line.length;
  }
  return out;
}

/** Whether a stream source holds entries in `[from, to)` (chunk granularity). */
export function sourceOverlaps(s: StreamSource, from: bigint, to: bigint): boolean {
  for (const c of s.chunks) if (c.maxTs >= from && c.minTs < to) return true;
  const first = s.open[0];
  return first !== undefined && first.tsNs < to && s.open.at(-1)!.tsNs >= from;
}

/**
 * A chunk's entries in `[from, to)`, or with `contains` only those whose line contains every string:
 * the first is searched for in each block's decompressed lines (`ChunkReader.entriesContaining`),
 * lines are decoded only where it occurs, and the others are checked on the decoded line.
 */
export function* chunkEntries(
  reader: ChunkReader,
  from: bigint,
  to: bigint,
  direction: LogDirection,
  contains?: readonly string[],
): Generator<LogEntry> {
  if (contains === undefined || contains.length === 0) {
    yield* reader.entries(from, to, direction);
    return;
  }
  const rest = contains.slice(1);
  for (const e of reader.entriesContaining(contains[0]!, from, to, direction)) {
    if (rest.every((s) => e.line.includes(s))) yield e;
  }
}
