import { ChunkBuilder, type ChunkBuilderOptions, ChunkReader, type LogEntry } from "./chunk.js";
import type { StreamLabels } from "./querier.js";
import { MemChunk, type StreamSource } from "./stream-source.js";

/**
 * One stream of a log head: its labels, the immutable chunks cut so far and the open buffer of
 * entries not yet cut (kept in time order; an entry inside the out-of-order window is inserted after
 * the entries of equal or lower timestamp). Chunks may overlap in time when out-of-order entries
 * arrive after a cut; readers merge them.
 */

/** Largest trigram filter of a head chunk (a chunk's own is sized by its lines: `trigramFilterBits`). */
const MAX_FILTER_BITS = 4096;

/** When a stream's open buffer becomes a chunk. */
export interface CutPolicy {
  /** Cut once the buffer's lines and metadata reach this size, counted in UTF-16 code units (bytes for ASCII). */
  readonly targetBytes: number;
  /** Cut before an entry that would make the buffer span this many nanoseconds or more. */
  readonly maxSpanNs: bigint;
  /** How chunks are built. */
  readonly chunk: ChunkBuilderOptions;
}

/** An entry held in memory. */
export type HeadEntry = LogEntry;

/** One stream of a log head (see the file comment). */
export class HeadStream implements StreamSource {
  /** Immutable chunks, in the order they were cut (taken away by a flush). */
  chunks: MemChunk[] = [];
  /** Entries not yet cut, in time order. */
  open: HeadEntry[] = [];
  #openBytes = 0;
  /** The newest accepted timestamp (including accepted entries not yet applied), for the order check. */
  lastTs: bigint | undefined;
  /** The line of the newest accepted entry at {@link lastTs}, for the duplicate check. */
  lastLine = "";
  /**
   * Accepted entries waiting for their WAL write (applied in this order once it resolves), so that
   * the duplicate check sees them too.
   */
  pending: HeadEntry[] = [];
  /** Whether the stream is in the label index (its first entries were applied). */
  indexed = false;
  /** Whether entries were accepted since the last flush (a stream idle for a whole flush period is dropped). */
  active = false;

  constructor(
    /** Id within the head, ≥ 1. */
    readonly id: number,
    /** Canonical selector text, e.g. `{app="web", env="prod"}`: the identity within the tenant. */
    readonly key: string,
    readonly labels: StreamLabels,
  ) {}

  /** Records an accepted entry for the order and duplicate checks. */
  noteAccepted(tsNs: bigint, line: string): void {
    if (this.lastTs === undefined || tsNs > this.lastTs) {
      this.lastTs = tsNs;
      this.lastLine = line;
    } else if (tsNs === this.lastTs) {
      this.lastLine = line;
    }
  }

  /**
   * Whether the open buffer or the pending entries hold an entry at `tsNs` with `line` (the
   * duplicate check of late entries; entries already cut into chunks are not looked at).
   */
  hasOpen(tsNs: bigint, line: string): boolean {
    for (let i = upperBound(this.open, tsNs) - 1; i >= 0 && this.open[i]!.tsNs === tsNs; i--) {
      if (this.open[i]!.line === line) return true;
    }
    for (const p of this.pending) if (p.tsNs === tsNs && p.line === line) return true;
    return false;
  }

  /**
   * Adds an accepted entry to the open buffer (keeping the object: the caller must not change it),
   * cutting a chunk when the policy says so.
   */
  insert(e: HeadEntry, policy: CutPolicy): void {
    const { tsNs, line, metadata } = e;
    const first = this.open[0];
    if (first !== undefined && tsNs - first.tsNs >= policy.maxSpanNs) this.cut(policy);
    const last = this.open.at(-1);
    if (last === undefined || tsNs >= last.tsNs) this.open.push(e);
    else this.open.splice(upperBound(this.open, tsNs), 0, e);
    this.#openBytes += line.length;
    if (metadata) for (const [n, v] of metadata) this.#openBytes += n.length + v.length;
    if (this.#openBytes >= policy.targetBytes) this.cut(policy);
  }

  /** Turns the open buffer into an immutable chunk. */
  cut(policy: CutPolicy): void {
    if (this.open.length === 0) return;
    const b = new ChunkBuilder({ filterBits: MAX_FILTER_BITS, ...policy.chunk });
    for (const e of this.open) b.append(e.tsNs, e.line, e.metadata);
    const bytes = b.finish();
    let lineBytes = 0;
    for (const e of this.open) lineBytes += e.line.length;
    this.chunks.push(new MemChunk(bytes, new ChunkReader(bytes), lineBytes, b.filter));
    this.open = [];
    this.#openBytes = 0;
  }

  /** Bytes of lines in memory (chunks and open buffer). */
  get lineBytes(): number {
    let n = this.#openBytes;
    for (const c of this.chunks) n += c.lineBytes;
    return n;
  }

  /** Entries in memory (chunks and open buffer). */
  get entryCount(): number {
    let n = this.open.length;
    for (const c of this.chunks) n += c.entryCount;
    return n;
  }
}

/** The first index whose entry's timestamp is ≥ `ts`. */
export function lowerBound(entries: readonly HeadEntry[], ts: bigint): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.tsNs < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose entry's timestamp is > `ts`. */
export function upperBound(entries: readonly HeadEntry[], ts: bigint): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.tsNs <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
