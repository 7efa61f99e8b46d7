import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { completeUtf8End, msOfNs, subNsOfNs } from "./line-sink.js";

describe("completeUtf8End", () => {
  const b = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));
  it.each([
    ["ascii", b("abc"), 3],
    ["whole 2-byte", b("aé"), 3],
    ["cut 2-byte", b("a", [0xc3]), 1],
    ["cut 3-byte after 2", b("a", [0xe2, 0x9c]), 1],
    ["whole 3-byte", b("a✓"), 4],
    ["cut 4-byte after 3", b("a", [0xf0, 0x9f, 0x98]), 1],
    ["whole 4-byte", b("a😀"), 5],
    ["stray continuation bytes left for the validity check", b("a", [0x80, 0x80, 0x80, 0x80]), 5],
    ["empty", b(""), 0],
  ])("%s", (_, buf, want) => {
    expect(completeUtf8End(buf, 0, buf.length)).toBe(want);
  });

  it("cutting valid UTF-8 anywhere and trimming leaves valid UTF-8 that is a prefix of it (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.nat(), (s, at) => {
        const buf = Buffer.from(s);
        const cut = buf.length === 0 ? 0 : at % (buf.length + 1);
        const end = completeUtf8End(buf, 0, cut);
        expect(end).toBeLessThanOrEqual(cut);
        expect(cut - end).toBeLessThan(4);
        const text = new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, end));
        expect(buf.toString("utf8").startsWith(text)).toBe(true);
      }),
    );
  });
});

describe("msOfNs / subNsOfNs", () => {
  it.each([
    [0n, 0, 0],
    [1_234_567n, 1, 234_567],
    [-1n, -1, 999_999],
    [-1_000_000n, -1, 0],
    [-1_000_001n, -2, 999_999],
  ])("%s ns", (ns, ms, sub) => {
    expect([msOfNs(ns), subNsOfNs(ns)]).toEqual([ms, sub]);
  });

  it("split and put back together (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), (ns) => {
        const sub = subNsOfNs(ns);
        expect(BigInt(msOfNs(ns)) * 1_000_000n + BigInt(sub)).toBe(ns);
        expect(sub >= 0 && sub < 1_000_000).toBe(true);
      }),
    );
  });
});
