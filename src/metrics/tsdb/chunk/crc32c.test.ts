import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "./crc32c.js";

/** The definition, one bit at a time: the reference the table-driven code must agree with. */
function bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

const ascii = (s: string) => new TextEncoder().encode(s);
const iota = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i));

describe("crc32c", () => {
  // RFC 3720 (iSCSI) appendix B.4, and the usual check value of "123456789".
  const vectors: [string, Uint8Array, number][] = [
    ["empty", new Uint8Array(0), 0],
    ["123456789", ascii("123456789"), 0xe3069283],
    ["a", ascii("a"), 0xc1d04330],
    ["32 zero bytes", new Uint8Array(32), 0x8a9136aa],
    ["32 bytes of 0xff", new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ["32 ascending bytes", iota(32, (i) => i), 0x46dd794e],
    ["32 descending bytes", iota(32, (i) => 31 - i), 0x113fdb5c],
    [
      "an iSCSI read command PDU",
      Uint8Array.from([
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      ]),
      0xd9963a56,
    ],
  ];
  it.each(vectors)("%s", (_name, bytes, want) => {
    expect(crc32c(bytes)).toBe(want);
    expect(bitwise(bytes)).toBe(want);
  });

  it("checksums a range of the array", () => {
    const b = new Uint8Array([0xaa, ...ascii("123456789"), 0xbb]);
    expect(crc32c(b, 0, 1, 10)).toBe(0xe3069283);
  });

  it("agrees with the bitwise definition at every alignment and length around the word loop", () => {
    const buf = iota(1100, (i) => (i * 2654435761) >>> 24);
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 7, 8, 9, 63, 64, 65, 66, 67, 71, 72, 73, 100, 255, 256, 1024, 1091]) {
        const want = bitwise(buf.subarray(start, start + len));
        expect(crc32c(buf, 0, start, start + len), `start ${start}, length ${len}`).toBe(want);
        // A view that starts off a 4-byte boundary of its buffer.
        expect(crc32c(buf.subarray(start, start + len)), `view at ${start}, length ${len}`).toBe(want);
      }
    }
  });

  it("agrees with the bitwise definition on any bytes, whole or in pieces (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (bytes, cutAt) => {
        const want = bitwise(bytes);
        expect(crc32c(bytes)).toBe(want);
        const cut = bytes.length === 0 ? 0 : cutAt % bytes.length;
        expect(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut)))).toBe(want);
      }),
    );
  });
});
