/**
 * Copies of small byte arrays carved from shared blocks. A read of the head copies the open chunk of
 * every series it selects (a few hundred bytes each), and an `ArrayBuffer` of its own per copy
 * costs far more than the copy: an off-heap allocation and its finalisation by the GC. A view into
 * a block costs one small object; a block lives as long as a copy in it does.
 */
const BLOCK_BYTES = 1 << 18;
/** Larger arrays get a buffer of their own. */
const MAX_CARVED = 1 << 12;
let block = new Uint8Array(0);
let used = 0;

/** A private copy of `src`. */
export function copyBytes(src: Uint8Array): Uint8Array {
  const n = src.length;
  if (n > MAX_CARVED) return src.slice();
  if (used + n > block.length) {
    block = new Uint8Array(BLOCK_BYTES);
    used = 0;
  }
  const out = new Uint8Array(block.buffer, used, n);
  out.set(src);
  used += n;
  return out;
}
