import { describe, expect, it } from "vitest";
import { hashBytes, hashLabels } from "./label-hash.js";
import { Labels } from "./labels.js";

const encoder = new TextEncoder();

describe("label hash", () => {
  it("hashBytes depends on the bytes only, and reports non-ASCII", () => {
    const out = new Int32Array(4);
    const a = new Uint8Array([9, 0x61, 0x62, 0x63, 0x64, 0x65]);
    const b = new Uint8Array([0x61, 0x62, 0x63, 0x64, 0x65]);
    expect(hashBytes(a, 1, 6, out, 0) & 0x80).toBe(0);
    hashBytes(b, 0, 5, out, 2);
    expect([out[0], out[1]]).toEqual([out[2], out[3]]);
    expect(hashBytes(encoder.encode("é"), 0, 2, out, 0) & 0x80).toBe(0x80);
  });

  it("hashes a label set independently of the order of its labels", () => {
    const a = Labels.fromPairs(["__name__", "up", "job", "api", "é", "\u{1F600}"]);
    const h = hashLabels(a);
    expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
    expect(hashLabels(Labels.fromPairs(["job", "api", "é", "\u{1F600}", "__name__", "up"]))).toBe(h);
    expect(hashLabels(a.with("job", "web"))).not.toBe(h);
    expect(hashLabels(Labels.EMPTY)).not.toBe(h);
  });
});
