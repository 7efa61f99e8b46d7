/**
 * A chunk's trigram filter: which trigrams (three consecutive bytes of UTF-8) its lines hold, so a
 * `|= "needle"` scan can skip a chunk that cannot contain the needle without reading or
 * decompressing it. A Bloom filter with one hash over the trigrams at every 4th byte of each line
 * (a quarter of the work of indexing every position, which ingest pays): a needle occurring at
 * position `p` of a line puts its trigrams at offsets `j ≡ −p (mod 4)` on indexed positions, so a
 * chunk may hold the needle only if, for one of the four phases, every needle trigram at offsets of
 * that phase is in the filter. Trigrams made only of `[0-9a-f]` are left out: ids, hashes and
 * numbers put nearly all 4,096 of them in any busy chunk, where they could rule nothing out, and
 * would crowd out the informative ones. No false negatives; a false positive only costs a read.
 * Needles shorter than 6 bytes, of hex digits only, or holding `\n` never rule a chunk out. Layout
 * on disk: `docs/format/log-block.md`.
 */

/**
 * Bits of the filter of a chunk with `lineBytes` bytes of lines: about 1 per 128, 512 to 4096
 * (4096 from 256 KiB of lines up: more bits, fewer false positives, at 0.5 KiB a chunk).
 */
export function trigramFilterBits(lineBytes: number): number {
  let bits = 512;
  while (bits < 4096 && bits * 128 < lineBytes) bits *= 2;
  return bits;
}

/** Trigrams are taken at every STRIDE-th byte of a line (see the file comment). */
const STRIDE = 4;

/** 1 for the bytes of `[0-9a-f]`: trigrams of these only are left out (see {@link TrigramFilter}). */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdef") HEX[c.charCodeAt(0)] = 1;

/** The filter position of the trigram of bytes `x y z` in a filter of `2^log2Bits` bits. */
function slot(x: number, y: number, z: number, log2Bits: number): number {
  return Math.imul(x | (y << 8) | (z << 16), 0x9e3779b1) >>> (32 - log2Bits);
}

/** A trigram filter: `bits` (a power of two, ≥ 8) bits in `bytes`. */
export class TrigramFilter {
  readonly #log2: number;

  constructor(readonly bytes: Uint8Array) {
    const bits = bytes.length * 8;
    if (bits < 8 || (bits & (bits - 1)) !== 0) throw new RangeError(`a trigram filter of ${bits} bits`);
    this.#log2 = Math.log2(bits);
  }

  /** Builds the filter of `lines` with `bits` bits (see {@link trigramFilterBits}). */
  static build(lines: readonly string[], bits: number): TrigramFilter {
    const builder = new TrigramFilterBuilder(bits);
    for (const line of lines) {
      const bytes = Buffer.from(line, "utf8");
      builder.addLine(bytes, 0, bytes.length);
    }
    return builder.finish(bits);
  }

  /** Whether some line of the chunk may contain `needle` (false: none does). */
  mayContain(needle: string): boolean {
    const t = Buffer.from(needle, "utf8");
    // A needle that UTF-8 cannot represent as it is (a lone surrogate) is not judged.
    if (t.length < STRIDE + 2 || t.includes(10) || t.toString("utf8") !== needle) return true;
    for (let phase = 0; phase < STRIDE; phase++) {
      let all = true;
      for (let j = phase; j + 3 <= t.length; j += STRIDE) {
        const x = t[j]!;
        const y = t[j + 1]!;
        const z = t[j + 2]!;
        if ((HEX[x]! & HEX[y]! & HEX[z]!) === 1) continue;
        const i = slot(x, y, z, this.#log2);
        if ((this.bytes[i >>> 3]! & (1 << (i & 7))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
}

/**
 * Builds a {@link TrigramFilter} line by line from UTF-8 bytes already in memory (a chunk builder's
 * block buffer), at `maxBits`; {@link finish} folds it down to the size the chunk turned out to need.
 */
export class TrigramFilterBuilder {
  readonly #bytes: Uint8Array;
  readonly #log2: number;

  constructor(readonly maxBits: number) {
    this.#bytes = new TrigramFilter(new Uint8Array(maxBits / 8)).bytes;
    this.#log2 = Math.log2(maxBits);
  }

  /** Adds the trigrams of one line, the bytes `buf[start, end)`. */
  addLine(buf: Uint8Array, start: number, end: number): void {
    const b = this.#bytes;
    const log2 = this.#log2;
    for (let k = start; k + 3 <= end; k += STRIDE) {
      const x = buf[k]!;
      const y = buf[k + 1]!;
      const z = buf[k + 2]!;
      if ((HEX[x]! & HEX[y]! & HEX[z]!) === 1) continue;
      const i = slot(x, y, z, log2);
      b[i >>> 3]! |= 1 << (i & 7);
    }
  }

  /**
   * The filter at `bits` (a power of two, 8 to {@link maxBits}): folding halves ORs bit pairs
   * `2k, 2k + 1` into bit `k`, which is where the shorter hash (`slot` keeps the top bits) lands.
   */
  finish(bits: number): TrigramFilter {
    let cur = this.#bytes;
    let n = this.maxBits;
    while (n > bits && n > 8) {
      const half = new Uint8Array(n / 16);
      for (let k = 0; k < n / 2; k++) {
        const pair = (cur[(2 * k) >>> 3]! >> ((2 * k) & 7)) & 3;
        if (pair !== 0) half[k >>> 3]! |= 1 << (k & 7);
      }
      cur = half;
      n /= 2;
    }
    return new TrigramFilter(cur);
  }
}
