import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqualString, isValidUtf8 } from "./utf8-bytes.js";

const encoder = new TextEncoder();
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Any UTF-16 text, lone surrogates included.
const utf16 = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 8,
});

describe("UTF-8 helpers", () => {
  it("isValidUtf8 agrees with a fatal TextDecoder", () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x80, max: 0xbf }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), (bytes) => {
        const buf = new Uint8Array(bytes);
        let valid = true;
        try {
          fatal.decode(buf);
        } catch {
          valid = false;
        }
        expect(isValidUtf8(buf, 0, buf.length)).toBe(valid);
      }),
      { numRuns: 5000 },
    );
  });

  const edges: [string, number[], boolean][] = [
    ["overlong 2-byte", [0xc1, 0xbf], false],
    ["overlong 3-byte", [0xe0, 0x9f, 0xbf], false],
    ["surrogate", [0xed, 0xa0, 0x80], false],
    ["U+FFFF", [0xef, 0xbf, 0xbf], true],
    ["U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf], true],
    ["past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], false],
    ["truncated", [0xe2, 0x82], false],
  ];
  it.each(edges)("isValidUtf8: %s", (_name, bytes, want) => {
    expect(isValidUtf8(new Uint8Array(bytes), 0, bytes.length)).toBe(want);
  });

  it("bytesEqualString says whether the bytes encode the string", () => {
    fc.assert(
      fc.property(utf16, utf16, fc.boolean(), (s, other, same) => {
        const b = encoder.encode(same ? s : other);
        const buf = new Uint8Array([1, ...b, 2]);
        const wellFormed = !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
        const want = wellFormed && Buffer.from(encoder.encode(s)).equals(Buffer.from(b));
        expect(bytesEqualString(buf, 1, 1 + b.length, s)).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });
});
