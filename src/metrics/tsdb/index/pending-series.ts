/**
 * The series entries an `IndexWriter` keeps in memory until `finish()` (docs/format/index.md,
 * "Writing").
 */
import { ByteCursor } from "./varint.js";

const PAGE_BYTES = 1 << 20;

/**
 * The series entries kept until `finish()`, in 1 MiB pages; an entry never straddles two pages.
 * Pair numbers in them are provisional (order of first sight); the chunk metas are final.
 */
export class PendingSeries {
  readonly #pages: Uint8Array[] = [];
  readonly #used: number[] = [];

  /** Appends one entry (copied). */
  append(entry: Uint8Array): void {
    const last = this.#pages.length - 1;
    if (last < 0 || this.#used[last]! + entry.length > this.#pages[last]!.length) {
      this.#pages.push(new Uint8Array(Math.max(PAGE_BYTES, entry.length)));
      this.#used.push(0);
    }
    const i = this.#pages.length - 1;
    this.#pages[i]!.set(entry, this.#used[i]!);
    this.#used[i]! += entry.length;
  }

  /** A reader from the first entry. */
  reader(file: string): PendingReader {
    return new PendingReader(this.#pages, this.#used, file);
  }
}

/** Walks the kept series entries, keeping the current series' full list of provisional pairs. */
export class PendingReader {
  /** Provisional pair numbers of the current series' labels, `size` of them. */
  pairs = new Int32Array(16);
  size = 0;
  /** Labels shared with the previous series. */
  shared = 0;
  /** The page holding the current series, and its chunk metas' bytes in it. */
  page: Uint8Array = new Uint8Array(0);
  chunksStart = 0;
  chunksEnd = 0;
  #pageIndex = -1;
  #cur: ByteCursor | undefined;

  constructor(
    readonly pages: readonly Uint8Array[],
    readonly used: readonly number[],
    readonly file: string,
  ) {}

  /** Moves to the next series; false after the last. */
  next(): boolean {
    let cur = this.#cur;
    while (cur === undefined || cur.pos >= cur.end) {
      const i = ++this.#pageIndex;
      if (i >= this.pages.length) return false;
      this.page = this.pages[i]!;
      cur = new ByteCursor(this.page, 0, this.used[i]!, this.file, "series");
      this.#cur = cur;
    }
    const shared = cur.uvarint();
    const added = cur.uvarint();
    const size = shared + added;
    if (this.pairs.length < size) {
      const grown = new Int32Array(size * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    for (let i = shared; i < size; i++) this.pairs[i] = cur.uvarint();
    this.shared = shared;
    this.size = size;
    const len = cur.uvarint();
    this.chunksStart = cur.pos;
    cur.skip(len);
    this.chunksEnd = cur.pos;
    return true;
  }
}
