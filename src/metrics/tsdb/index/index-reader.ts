/**
 * Reads the index file of a block (docs/format/index.md, "Reading").
 */
import { constants as bufferConstants } from "node:buffer";
import { open } from "node:fs/promises";
import type { Matcher } from "../../../model/matcher.js";
import { crc32c } from "../chunk/crc32c.js";
import { IndexCorruptedError, type IndexSection } from "./index-errors.js";
import { HEADER_BYTES, INDEX_HEADER, SECTIONS, SERIES_PER_GROUP, TOC_BYTES } from "./index-format.js";
import { EMPTY_POSTINGS, type PostingsIterator } from "./postings.js";
import { EncodedPostings } from "./postings-codec.js";
import { type LabelPostingsSource, postingsForMatchers } from "./postings-for-matchers.js";
import { type IndexSeries, SeriesDecoder, type SeriesTables } from "./series-decoder.js";
import { ByteCursor, readU32, readU64 } from "./varint.js";

const NO_PAIRS: readonly [number, number] = [0, 0];

/**
 * An open block index, held in memory. Opening reads the whole file, checks the header, the TOC and
 * every section's CRC32C, and decodes the symbols and the label table; series and postings are
 * decoded on demand. Damage throws {@link IndexCorruptedError} naming the file and the section.
 *
 * It holds no file handle, so there is nothing to close: drop the reader. Lookups never change it;
 * they are safe to interleave (a {@link SeriesDecoder} is not).
 */
export class IndexReader implements LabelPostingsSource {
  /** Number of series; ids are `0 … seriesCount−1`, in label order. */
  readonly seriesCount: number;
  /** Every label name and value of the block, sorted (string order), without duplicates. */
  readonly symbols: readonly string[];

  readonly #file: string;
  readonly #buf: Uint8Array;
  readonly #tables: SeriesTables;
  readonly #nameIndex = new Map<string, number>();
  readonly #postingsStart: number;
  readonly #postingsEnd: number;
  readonly #postingsOffsets: number;
  #decoder: SeriesDecoder | undefined;

  private constructor(file: string, buf: Uint8Array) {
    this.#file = file;
    this.#buf = buf;
    const sections = readToc(file, buf);
    const section = (i: number): { start: number; end: number } => sections[i]!;
    this.seriesCount = readU32(buf, buf.length - TOC_BYTES);

    const symbols = readSymbols(this.#cursor("symbols", section(0)));
    this.symbols = symbols;
    const labels = readLabels(this.#cursor("labels", section(1)), symbols.length);
    for (let i = 0; i < labels.nameSymbols.length; i++)
      this.#nameIndex.set(symbols[labels.nameSymbols[i]!]!, i);

    const series = section(2);
    const offsets = section(3);
    const groups = Math.ceil(this.seriesCount / SERIES_PER_GROUP);
    checkOffsets(this.#cursor("series offsets", offsets), groups, series.end - series.start);

    const postings = section(4);
    const postingsOffsets = section(5);
    const pairCount = labels.valueSymbols.length;
    checkOffsets(this.#cursor("postings offsets", postingsOffsets), pairCount, postings.end - postings.start);
    this.#postingsStart = postings.start;
    this.#postingsEnd = postings.end;
    this.#postingsOffsets = postingsOffsets.start;

    this.#tables = {
      file,
      buf,
      seriesCount: this.seriesCount,
      symbols,
      nameSymbols: labels.nameSymbols,
      valueStart: labels.valueStart,
      valueSymbols: labels.valueSymbols,
      seriesStart: series.start,
      seriesEnd: series.end,
      groupOffsets: offsets.start,
    };
  }

  /** Reads and checks the index at `path`. */
  static async open(path: string): Promise<IndexReader> {
    const fh = await open(path, "r");
    try {
      const { size } = await fh.stat();
      if (size > bufferConstants.MAX_LENGTH) {
        throw new RangeError(
          `block index ${path} is ${size} bytes, more than this Node.js can hold in one buffer`,
        );
      }
      const buf = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const { bytesRead } = await fh.read(buf, done, size - done, done);
        if (bytesRead === 0)
          throw new IndexCorruptedError(path, "toc", `file shrank to ${done} bytes while read`);
        done += bytesRead;
      }
      return new IndexReader(path, buf);
    } finally {
      await fh.close();
    }
  }

  /** An index over bytes already in memory (borrowed, must not change); `file` names it in errors. */
  static fromBytes(bytes: Uint8Array, file: string): IndexReader {
    return new IndexReader(file, bytes);
  }

  /** The file the index was read from. */
  get file(): string {
    return this.#file;
  }

  /** Size of the index, bytes. */
  get byteLength(): number {
    return this.#buf.length;
  }

  /** Every label name, sorted. */
  labelNames(): string[] {
    const { symbols, nameSymbols } = this.#tables;
    return Array.from(nameSymbols, (s) => symbols[s]!);
  }

  /** The values of label `name`, sorted; none when no series has it. */
  labelValues(name: string): string[] {
    const [first, end] = this.pairRange(name);
    const { symbols, valueSymbols } = this.#tables;
    const out: string[] = new Array(end - first);
    for (let p = first; p < end; p++) out[p - first] = symbols[valueSymbols[p]!]!;
    return out;
  }

  /** A fresh iterator over the ids of the series that have label `name="value"` (empty if none). */
  postings(name: string, value: string): PostingsIterator {
    const p = this.pair(name, value);
    return p < 0 ? EMPTY_POSTINGS : this.pairPostings(p);
  }

  /** How many series have label `name="value"`. */
  postingsCount(name: string, value: string): number {
    const p = this.pair(name, value);
    return p < 0 ? 0 : this.pairSeriesCount(p);
  }

  /**
   * The sorted ids of the series matching every matcher (a matcher on an absent label sees `""`);
   * every series when `matchers` is empty. A new array, owned by the caller. See
   * docs/format/index.md, "Answering matchers".
   */
  postingsForMatchers(matchers: readonly Matcher[]): Uint32Array {
    return postingsForMatchers(this, matchers);
  }

  /**
   * Series `id`: its labels and chunk metas, as new objects. For many series use
   * {@link IndexReader.seriesDecoder}, which reuses its buffers.
   */
  series(id: number): IndexSeries {
    this.#decoder ??= new SeriesDecoder(this.#tables);
    this.#decoder.decode(id);
    return this.#decoder.toSeries();
  }

  /** A new decoder of this index's series, with its own buffers. */
  seriesDecoder(): SeriesDecoder {
    return new SeriesDecoder(this.#tables);
  }

  /** {@inheritDoc LabelPostingsSource.pairRange} */
  pairRange(name: string): readonly [number, number] {
    const i = this.#nameIndex.get(name);
    if (i === undefined) return NO_PAIRS;
    const { valueStart } = this.#tables;
    return [valueStart[i]!, valueStart[i + 1]!];
  }

  /** {@inheritDoc LabelPostingsSource.pair} */
  pair(name: string, value: string): number {
    const i = this.#nameIndex.get(name);
    if (i === undefined) return -1;
    const { symbols, valueStart, valueSymbols } = this.#tables;
    let lo = valueStart[i]!;
    let hi = valueStart[i + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = symbols[valueSymbols[mid]!]!;
      if (v === value) return mid;
      if (v < value) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** {@inheritDoc LabelPostingsSource.pairValue} */
  pairValue(pair: number): string {
    const { symbols, valueSymbols } = this.#tables;
    return symbols[valueSymbols[pair]!]!;
  }

  /** {@inheritDoc LabelPostingsSource.pairSeriesCount} */
  pairSeriesCount(pair: number): number {
    const [start, end] = this.#listBounds(pair);
    return new ByteCursor(this.#buf, start, end, this.#file, "postings").uvarint();
  }

  /** {@inheritDoc LabelPostingsSource.pairPostings} */
  pairPostings(pair: number): PostingsIterator {
    const [start, end] = this.#listBounds(pair);
    return new EncodedPostings(this.#buf, start, end, this.#file);
  }

  /** {@inheritDoc LabelPostingsSource.pairIds} */
  pairIds(pair: number): Uint32Array {
    const [start, end] = this.#listBounds(pair);
    return new EncodedPostings(this.#buf, start, end, this.#file).toArray();
  }

  #listBounds(pair: number): [number, number] {
    const pairs = this.#tables.valueSymbols.length;
    if (!Number.isInteger(pair) || pair < 0 || pair >= pairs) {
      throw new RangeError(`label pair ${pair} is not in [0, ${pairs}) of index ${this.#file}`);
    }
    const at = this.#postingsOffsets + pair * 4;
    const start = this.#postingsStart + readU32(this.#buf, at);
    const end = pair + 1 < pairs ? this.#postingsStart + readU32(this.#buf, at + 4) : this.#postingsEnd;
    return [start, end];
  }

  #cursor(section: IndexSection, range: { start: number; end: number }): ByteCursor {
    return new ByteCursor(this.#buf, range.start, range.end, this.#file, section);
  }
}

/** Checks header, TOC and checksums; returns each section's `[start, end)` in TOC order. */
function readToc(file: string, buf: Uint8Array): { start: number; end: number }[] {
  if (buf.length < HEADER_BYTES + TOC_BYTES) {
    throw new IndexCorruptedError(
      file,
      "toc",
      `file of ${buf.length} bytes is too short for a header and a TOC`,
    );
  }
  for (let i = 0; i < HEADER_BYTES; i++) {
    if (buf[i] !== INDEX_HEADER[i]) {
      const what = i < 4 ? "wrong magic" : i === 4 ? `unsupported version ${buf[4]}` : "non-zero padding";
      throw new IndexCorruptedError(file, "header", what);
    }
  }
  const toc = buf.length - TOC_BYTES;
  for (let i = 0; i < 4; i++) {
    if (buf[buf.length - 4 + i] !== INDEX_HEADER[i]) {
      throw new IndexCorruptedError(
        file,
        "toc",
        "no magic at the end: the file is truncated or not an index",
      );
    }
  }
  const stored = readU32(buf, toc + TOC_BYTES - 8);
  if (crc32c(buf, 0, toc, toc + TOC_BYTES - 8) !== stored)
    throw new IndexCorruptedError(file, "toc", "checksum mismatch");
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < SECTIONS.length; i++) {
    const entry = toc + 4 + i * 20;
    const start = readU64(buf, entry);
    const length = readU64(buf, entry + 8);
    const name = SECTIONS[i]!;
    if (start < HEADER_BYTES || length > toc - start) {
      throw new IndexCorruptedError(
        file,
        "toc",
        `${name} section [${start}, +${length}) is outside the file's body`,
      );
    }
    if (crc32c(buf, 0, start, start + length) !== readU32(buf, entry + 16)) {
      throw new IndexCorruptedError(file, name, "checksum mismatch");
    }
    out.push({ start, end: start + length });
  }
  return out;
}

function readSymbols(cur: ByteCursor): string[] {
  const count = cur.uvarint();
  if (count > cur.end - cur.pos) cur.fail(`${count} symbols cannot fit`);
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const out: string[] = new Array(count);
  let prev = new Uint8Array(256);
  let prevLength = 0;
  for (let k = 0; k < count; k++) {
    const shared = cur.uvarint();
    const suffix = cur.uvarint();
    if (shared > prevLength) cur.fail(`symbol ${k} shares ${shared} bytes with a string of ${prevLength}`);
    const length = shared + suffix;
    if (length === 0) cur.fail(`symbol ${k} is empty`);
    const from = cur.pos;
    cur.skip(suffix);
    if (length > prev.length) {
      const grown = new Uint8Array(length * 2);
      grown.set(prev.subarray(0, shared));
      prev = grown;
    }
    prev.set(cur.buf.subarray(from, from + suffix), shared);
    prevLength = length;
    let s: string;
    try {
      s = utf8.decode(prev.subarray(0, length));
    } catch {
      cur.fail(`symbol ${k} is not UTF-8`);
    }
    if (k > 0 && !(out[k - 1]! < s)) cur.fail(`symbol ${k} is not after symbol ${k - 1}`);
    out[k] = s;
  }
  if (cur.pos !== cur.end) cur.fail("bytes after the last symbol");
  return out;
}

function readLabels(
  cur: ByteCursor,
  symbolCount: number,
): { nameSymbols: Uint32Array; valueStart: Uint32Array; valueSymbols: Uint32Array } {
  const nameCount = cur.uvarint();
  if (nameCount > cur.end - cur.pos) cur.fail(`${nameCount} label names cannot fit`);
  const nameSymbols = new Uint32Array(nameCount);
  const valueStart = new Uint32Array(nameCount + 1);
  let values = new Uint32Array(Math.max(16, nameCount * 4));
  let pairs = 0;
  let name = 0;
  for (let i = 0; i < nameCount; i++) {
    const delta = cur.uvarint();
    if (i > 0 && delta === 0) cur.fail("label names not increasing");
    name += delta;
    if (name >= symbolCount) cur.fail(`label name symbol ${name} of ${symbolCount}`);
    nameSymbols[i] = name;
    valueStart[i] = pairs;
    const count = cur.uvarint();
    if (count === 0) cur.fail(`label name ${i} has no values`);
    if (count > cur.end - cur.pos) cur.fail(`${count} values cannot fit`);
    if (pairs + count > values.length) {
      const grown = new Uint32Array(Math.max(values.length * 2, pairs + count));
      grown.set(values);
      values = grown;
    }
    let value = 0;
    for (let j = 0; j < count; j++) {
      const d = cur.uvarint();
      if (j > 0 && d === 0) cur.fail("label values not increasing");
      value += d;
      if (value >= symbolCount) cur.fail(`label value symbol ${value} of ${symbolCount}`);
      values[pairs++] = value;
    }
  }
  valueStart[nameCount] = pairs;
  if (cur.pos !== cur.end) cur.fail("bytes after the last label name");
  return { nameSymbols, valueStart, valueSymbols: values.slice(0, pairs) };
}

/** Checks a table of `count` u32 offsets: exactly that long, strictly increasing, below `limit`. */
function checkOffsets(cur: ByteCursor, count: number, limit: number): void {
  if (cur.end - cur.pos !== count * 4) cur.fail(`${cur.end - cur.pos} bytes for ${count} offsets`);
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const o = cur.u32();
    if (o <= prev || o >= limit)
      cur.fail(`offset ${i} (${o}) is not increasing within a section of ${limit} bytes`);
    prev = o;
  }
}
