/**
 * A chunk's trigram filter: which trigrams (three consecutive UTF-16 code units) its lines hold, so a
 * `|= "needle"` scan can skip a chunk that cannot contain the needle without reading or
 * decompressing it. A Bloom filter with one hash over trigrams at **even positions** of each line
 * (half the work of indexing every position): a needle occurrence starting at position `p` puts the
 * needle's trigrams at offsets `j ≡ p (mod 2)` on even line positions, so a chunk may hold the needle
 * only if, for one of the two parities, every needle trigram at offsets of that parity is in the
 * filter. No false negatives; false positives only cost a read. Needles shorter than 4 code units
 * never rule a chunk out. Layout on disk: `docs/format/log-block.md`.
 */

/** Bits of the filter of a chunk with `lineChars` code units of lines: about 1 per 64, 512 to 4096. */
export function trigramFilterBits(lineChars: number): number {
  let bits = 512;
  while (bits < 4096 && bits * 64 < lineChars) bits *= 2;
  return bits;
}

/** The filter position of the trigram `a b c` in a filter of `2^log2Bits` bits. */
function slot(a: number, b: number, c: number, log2Bits: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 13;
  return h >>> (32 - log2Bits);
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
  static build(lines: Iterable<string>, bits: number): TrigramFilter {
    const f = new TrigramFilter(new Uint8Array(bits / 8));
    const log2 = f.#log2;
    const b = f.bytes;
    for (const line of lines) {
      for (let k = 0; k + 3 <= line.length; k += 2) {
        const s = slot(line.charCodeAt(k), line.charCodeAt(k + 1), line.charCodeAt(k + 2), log2);
        b[s >>> 3]! |= 1 << (s & 7);
      }
    }
    return f;
  }

  /** Whether some line of the chunk may contain `needle` (false: none does). */
  mayContain(needle: string): boolean {
    if (needle.length < 4) return true;
    for (let parity = 0; parity < 2; parity++) {
      let all = true;
      for (let j = parity; j + 3 <= needle.length; j += 2) {
        const s = slot(needle.charCodeAt(j), needle.charCodeAt(j + 1), needle.charCodeAt(j + 2), this.#log2);
        if ((this.bytes[s >>> 3]! & (1 << (s & 7))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
}
