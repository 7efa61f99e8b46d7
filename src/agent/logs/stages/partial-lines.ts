/**
 * Joining the pieces of a long line that a container runtime split into several records: CRI's
 * partial records (`P` then `F`) and Docker's records without a trailing newline. One buffer per
 * stream; the joined entry keeps the first piece's time, labels and extracted values.
 */
import type { Entry } from "./entry.js";

/** How long pieces wait for their continuation before `release` lets them go. */
export const PARTIAL_MAX_WAIT_MS = 3000;

interface Pending {
  readonly first: Entry;
  readonly parts: string[];
  size: number;
  lastMs: number;
}

/** Limits of one joiner. */
export interface PartialLimits {
  /** Most pieces per line; reaching it releases the line. */
  readonly maxParts: number;
  /** Most UTF-16 units per joined line (0 = no limit): reaching it releases the line, or cuts it when `truncate`. */
  readonly maxSize: number;
  readonly truncate: boolean;
}

/** Per-stream buffers of line pieces. */
export class PartialLines {
  readonly #pending = new Map<string, Pending>();

  constructor(
    private readonly limits: PartialLimits,
    /** Called with each joined entry and its line; the callee stores the line where its format wants it. */
    private readonly emit: (e: Entry, line: string, now: number) => void,
  ) {}

  /** Whether no stream has pieces waiting (then `add` is needed only for a piece that is not final). */
  get empty(): boolean {
    return this.#pending.size === 0;
  }

  /** Whether stream `key` has pieces waiting. */
  has(key: string): boolean {
    return this.#pending.has(key);
  }

  /** Adds a piece of stream `key`; `final` ends the line and releases it. */
  add(key: string, e: Entry, piece: string, final: boolean, now: number): void {
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = { first: e, parts: [], size: 0, lastMs: now };
      this.#pending.set(key, p);
    }
    p.parts.push(piece);
    p.size += piece.length;
    p.lastMs = now;
    const { maxParts, maxSize, truncate } = this.limits;
    if (final || p.parts.length >= maxParts || (maxSize > 0 && !truncate && p.size >= maxSize)) {
      this.#release(key, p, now);
    }
  }

  /** Releases the lines that waited {@link PARTIAL_MAX_WAIT_MS} since their last piece (all when `final`). */
  release(now: number, final: boolean): void {
    for (const [key, p] of this.#pending)
      if (final || now - p.lastMs >= PARTIAL_MAX_WAIT_MS) this.#release(key, p, now);
  }

  #release(key: string, p: Pending, now: number): void {
    this.#pending.delete(key);
    let line = p.parts.length === 1 ? p.parts[0]! : p.parts.join("");
    const { maxSize, truncate } = this.limits;
    if (truncate && maxSize > 0 && line.length > maxSize) line = line.slice(0, maxSize);
    this.emit(p.first, line, now);
  }
}
