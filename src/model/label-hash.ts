/**
 * The hash of a label set, as remote-write decoders compute it from the bytes of a request: each
 * name and value is hashed into two 32-bit lanes ({@link hashBytes}), each label mixes its name's
 * and value's lanes, and the set sums its labels' contributions lane by lane, so that the order of
 * the labels does not matter, and finishes into 53 bits. A 2.0 decoder hashes each symbol once and
 * reuses its lanes; the result is the same as from the 1.0 bytes of the same labels.
 */
import type { Labels } from "./labels.js";

const TWO_21 = 2097152;
const utf8Encoder = new TextEncoder();

/**
 * The hash `RawLabels.hash` gives for `labels`: a store that keys its series by the wire
 * hash can compute the key of a series it already holds. Allocates (the strings are UTF-8 encoded).
 */
export function hashLabels(labels: Labels): number {
  const h = new Int32Array(4);
  let sum1 = 0;
  let sum2 = 0;
  const pairs = labels.pairs;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = utf8Encoder.encode(pairs[i]!);
    const value = utf8Encoder.encode(pairs[i + 1]!);
    hashBytes(name, 0, name.length, h, 0);
    hashBytes(value, 0, value.length, h, 2);
    sum1 = (sum1 + pairLane1(h[0]!, h[1]!, h[2]!, h[3]!)) | 0;
    sum2 = (sum2 + pairLane2(h[0]!, h[1]!, h[2]!, h[3]!)) | 0;
  }
  return finishHash(sum1, sum2, pairs.length >> 1);
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * Hashes `buf[start, end)` into two 32-bit lanes, written to `out[at]` and `out[at + 1]`: a
 * murmur3-style mix of 4-byte words feeding two differently rotated states. Returns the bitwise OR
 * of all the bytes, whose bit 7 is clear exactly when the bytes are ASCII.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number, out: Int32Array, at: number): number {
  let h1 = 0x3c6ef372;
  let h2 = 0x6a09e667;
  let bits = 0;
  let i = start;
  for (const last = end - 3; i < last; i += 4) {
    const word = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    bits |= word;
    let k = Math.imul(word, C1);
    k = Math.imul((k << 15) | (k >>> 17), C2);
    h1 ^= k;
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    h2 ^= k;
    h2 = (Math.imul((h2 << 17) | (h2 >>> 15), 9) + 0x38495ab5) | 0;
  }
  if (i < end) {
    let word = 0;
    for (let shift = 0; i < end; i++, shift += 8) word |= buf[i]! << shift;
    bits |= word;
    let k = Math.imul(word, C1);
    k = Math.imul((k << 15) | (k >>> 17), C2);
    h1 ^= k;
    h2 ^= Math.imul(k, 0x85ebca6b);
  }
  const len = end - start;
  h1 = fmix32(h1 ^ len);
  h2 = fmix32(h2 ^ Math.imul(len, 0x9e3779b1));
  out[at] = (h1 + h2) | 0;
  out[at + 1] = (h2 + Math.imul(h1, 3)) | 0;
  return (bits | (bits >>> 8) | (bits >>> 16) | (bits >>> 24)) & 0xff;
}

function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * One label's contribution to lane 1 of its set's hash, from the lanes of its name (`n1`, `n2`) and
 * value (`v1`, `v2`) as {@link hashBytes} gives them; name and value are mixed asymmetrically, so
 * that swapping them changes it. A set's lanes are the 32-bit sums of its labels' contributions.
 */
export function pairLane1(n1: number, n2: number, v1: number, v2: number): number {
  return fmix32(((((n1 << 7) | (n1 >>> 25)) ^ Math.imul(v1, 0x9e3779b1)) + n2) ^ (v2 >>> 3));
}

/** Lane 2 of {@link pairLane1}. */
export function pairLane2(n1: number, n2: number, v1: number, v2: number): number {
  return fmix32((((n2 << 11) | (n2 >>> 21)) ^ Math.imul(v2, 0x85ebca77)) + (n1 ^ v1));
}

/** The 53-bit hash of a label set of `n` labels (with a value) whose lanes sum to `sum1` and `sum2`. */
export function finishHash(sum1: number, sum2: number, n: number): number {
  const h1 = fmix32(sum1 ^ n) >>> 0;
  const h2 = fmix32(sum2 + Math.imul(n, 0x27d4eb2f)) >>> 0;
  return h1 * TWO_21 + (h2 >>> 11);
}
