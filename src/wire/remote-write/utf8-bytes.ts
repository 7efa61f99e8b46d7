/**
 * UTF-8 checks on raw bytes, for decoders that look at strings in place instead of decoding them.
 */

/** Whether `buf[start, end)` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF). */
export function isValidUtf8(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
    } else if (b < 0xc2) {
      return false; // a continuation byte, or an overlong two-byte form
    } else if (b < 0xe0) {
      if (i + 1 >= end || (buf[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (b < 0xf0) {
      if (i + 2 >= end) return false;
      const b1 = buf[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2]! & 0xc0) !== 0x80) return false;
      if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 >= 0xa0)) return false; // overlong; surrogate
      i += 3;
    } else if (b < 0xf5) {
      if (i + 3 >= end) return false;
      const b1 = buf[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2]! & 0xc0) !== 0x80 || (buf[i + 3]! & 0xc0) !== 0x80) {
        return false;
      }
      if ((b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return false; // overlong; > U+10FFFF
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Whether `buf[start, end)` is the UTF-8 encoding of `s`, without encoding `s`. A lone surrogate in
 * `s` matches nothing (valid UTF-8 cannot hold one).
 */
export function bytesEqualString(buf: Uint8Array, start: number, end: number, s: string): boolean {
  const n = s.length;
  if (end - start < n) return false; // each UTF-16 unit takes at least one byte
  let i = 0;
  // ASCII prefix: one byte per unit. A mismatch at an ASCII unit settles it.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    if (c !== buf[start + i]) return false;
  }
  if (i === n) return end - start === n;
  let p = start + i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (buf[p] !== c) return false;
      p++;
      continue;
    }
    let cp = c;
    let size: number;
    if (c < 0x800) size = 2;
    else if (c < 0xd800 || c >= 0xe000) size = 3;
    else {
      const lo = s.charCodeAt(i + 1);
      if (c >= 0xdc00 || !(lo >= 0xdc00 && lo < 0xe000)) return false;
      cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
      size = 4;
      i++;
    }
    if (p + size > end) return false;
    const lead = size === 2 ? 0xc0 | (cp >> 6) : size === 3 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18);
    if (buf[p] !== lead) return false;
    for (let k = 1; k < size; k++) {
      if (buf[p + k] !== (0x80 | ((cp >> (6 * (size - 1 - k))) & 0x3f))) return false;
    }
    p += size;
  }
  return p === end;
}
