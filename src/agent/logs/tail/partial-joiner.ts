/**
 * Reassembly of lines that a container runtime split into pieces (CRI `P` records, Docker records
 * without a trailing `\n`). Pieces are kept per key (the stream, one joiner per file) until the
 * last piece arrives. The joined line is capped: past `maxBytes` it is cut at the cap, marked
 * `truncated` and counted in {@link PartialJoiner.cutLines}; the rest of its pieces are dropped.
 */

/** Default cap on a joined line: 256 KiB. */
export const DEFAULT_MAX_JOINED_BYTES = 256 * 1024;

/** A line put back together. */
export interface JoinedLine {
  readonly key: string;
  readonly content: string;
  /** Timestamp of its first piece, nanoseconds since the epoch. */
  readonly tsNs: bigint;
  /** Cut at the cap. */
  readonly truncated: boolean;
}

interface Pending {
  parts: string[];
  bytes: number;
  tsNs: bigint;
  /** File offset where the first piece starts: a crash before the line is complete resumes there. */
  startOffset: number;
  truncated: boolean;
}

function cut(s: string, maxBytes: number): string {
  // Cuts at a byte boundary; a multi-byte character split by the cap is dropped whole.
  const b = Buffer.from(s, "utf8");
  let end = Math.min(maxBytes, b.length);
  while (end > 0 && end < b.length && (b[end]! & 0xc0) === 0x80) end--;
  return b.toString("utf8", 0, end);
}

/** Joins partial records per key; see the file comment. */
export class PartialJoiner {
  private readonly pending = new Map<string, Pending>();
  /** Lines cut at the cap since creation. */
  cutLines = 0;

  /** @param maxBytes cap on a joined line in UTF-8 bytes (default 256 KiB). */
  constructor(private readonly maxBytes = DEFAULT_MAX_JOINED_BYTES) {
    if (!(maxBytes > 0)) throw new RangeError(`partial joiner: maxBytes must be > 0, got ${maxBytes}`);
  }

  /**
   * Adds one record of `key`. Returns the whole line when this record ends it (`partial` false),
   * else `undefined`. `startOffset` is the file offset of the record, kept for {@link pendingStart}.
   */
  push(
    key: string,
    content: string,
    partial: boolean,
    tsNs: bigint,
    startOffset: number,
  ): JoinedLine | undefined {
    const p = this.pending.get(key);
    if (p === undefined) {
      if (!partial) {
        if (content.length * 3 <= this.maxBytes || Buffer.byteLength(content) <= this.maxBytes) {
          return { key, content, tsNs, truncated: false };
        }
        this.cutLines++;
        return { key, content: cut(content, this.maxBytes), tsNs, truncated: true };
      }
      const bytes = Buffer.byteLength(content);
      const np: Pending = { parts: [content], bytes, tsNs, startOffset, truncated: false };
      this.pending.set(key, np);
      this.capPending(np);
      return undefined;
    }
    if (!p.truncated) {
      p.parts.push(content);
      p.bytes += Buffer.byteLength(content);
      this.capPending(p);
    }
    if (partial) return undefined;
    this.pending.delete(key);
    return this.finish(key, p);
  }

  private capPending(p: Pending): void {
    if (p.truncated || p.bytes <= this.maxBytes) return;
    const joined = cut(p.parts.join(""), this.maxBytes);
    p.parts = [joined];
    p.bytes = this.maxBytes;
    p.truncated = true;
    this.cutLines++;
  }

  private finish(key: string, p: Pending): JoinedLine {
    const content = p.parts.length === 1 ? p.parts[0]! : p.parts.join("");
    return { key, content, tsNs: p.tsNs, truncated: p.truncated };
  }

  /** The smallest file offset of a line still being joined, or `undefined` when none is. */
  pendingStart(): number | undefined {
    let min: number | undefined;
    for (const p of this.pending.values()) if (min === undefined || p.startOffset < min) min = p.startOffset;
    return min;
  }

  /** Whether a line of `key` is waiting for its last piece (a map look-up: no allocation). */
  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  /** Whether some line is waiting for its last piece. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Ends every line still waiting (the file rotated or went away: no more pieces will come) and
   * returns them, in the order they started.
   */
  flush(): JoinedLine[] {
    const out = [...this.pending.entries()]
      .sort((a, b) => a[1].startOffset - b[1].startOffset)
      .map(([k, p]) => this.finish(k, p));
    this.pending.clear();
    return out;
  }
}
