import { describe, expect, it } from "vitest";
import { StringInterner } from "./string-interner.js";

describe("StringInterner", () => {
  it("returns one held copy per distinct text, equal to what came in", () => {
    const interner = new StringInterner();
    const body = `node_cpu_seconds_total{cpu="0"} 1\nnode_cpu_seconds_total{cpu="1"} 2\n`;
    const a = interner.intern(body.slice(0, 22));
    const b = interner.intern(body.slice(34, 56));
    expect(a).toBe("node_cpu_seconds_total");
    expect(b).toBe(a);
    expect(interner.size).toBe(1);
    for (const s of ["", "x", "1234567890123", "ünïcödé-välüe-long", "\ud800lone"]) {
      expect(interner.intern(s)).toBe(s);
    }
  });

  it("starts over past its limit, still returning equal strings", () => {
    const interner = new StringInterner(4);
    for (let i = 0; i < 10; i++) expect(interner.intern(`value-number-${i}`)).toBe(`value-number-${i}`);
    expect(interner.size).toBeLessThanOrEqual(4);
  });
});
