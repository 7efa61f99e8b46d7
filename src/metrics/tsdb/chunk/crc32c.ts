/**
 * CRC32C (Castagnoli; iSCSI, ext4, Prometheus chunk files): reflected polynomial 0x82F63B78,
 * initial value and final XOR 0xFFFFFFFF. Table-driven, eight bytes per step ("slicing-by-8"):
 * about 1.5× the one-table byte-at-a-time loop on V8, for 200-byte chunks as for megabytes (see
 * `crc32c_*` in `xor-chunk.bench.ts`).
 */

const POLY = 0x82f63b78;

/**
 * Eight 256-entry tables in one array: `T[k·256 + b]` is the CRC contribution of byte `b` followed
 * by `k` zero bytes.
 */
const T = (() => {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + b] = c;
    }
  }
  return t;
})();

/**
 * The CRC32C of `bytes[start, end)` (default: all of `bytes`), as an unsigned 32-bit number. To
 * checksum data in pieces, pass the previous result as `crc`: `crc32c(b, crc32c(a))` equals the
 * CRC of `a` followed by `b`. The bytes are only read.
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  let c = ~crc;
  let i = start;
  const t = T;
  for (const stop8 = end - 8; i <= stop8; i += 8) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
