import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashmod } from "./hashmod.js";

describe("hashmod", () => {
  it.each([
    // value, modulus, Prometheus's answer
    ["baz", 1000n, "976"],
    ["foo\nbar", 1000n, "734"],
    ["anything", 1n, "0"],
  ])("%j mod %s is %s", (value, modulus, want) => {
    expect(hashmod(value, modulus)).toBe(want);
  });

  it("is the low 8 bytes of the MD5 digest, big-endian, modulo the modulus", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        fc.bigInt({ min: 1n, max: 2n ** 53n }),
        (value, modulus) => {
          const digest = createHash("md5").update(Buffer.from(value, "utf8")).digest();
          expect(hashmod(value, modulus)).toBe((digest.readBigUInt64BE(8) % modulus).toString());
        },
      ),
    );
  });
});
