import { describe, expect, it } from "vitest";
import { parseStartOffsets, parseTestScript } from "./test-script.js";

describe("parseStartOffsets (@st sequences, FORMAT.md §2.2)", () => {
  it.each([
    ["_ _x2", [undefined, undefined, undefined]],
    ["-1m", [-60_000]],
    ["-30sx2", [-30_000, -30_000, -30_000]],
    ["-30s-1mx2", [-30_000, -90_000, -150_000]],
    ["0-1mx1", [0, -60_000]],
    ["1ms-1mx1", [1, -59_999]],
    ["+1m -0msx1", [60_000, 0, 0]],
    ["-1s * *x1", [-1000, -1000, -1000, -1000]],
  ] as const)("%s", (text, want) => {
    expect(parseStartOffsets(text)).toEqual(want);
  });

  it("rejects malformed items", () => {
    expect(() => parseStartOffsets("1m+1m")).toThrow(/bad @st item/);
    expect(() => parseStartOffsets("abc")).toThrow(/bad @st item/);
  });
});

describe("parseTestScript: load blocks with @st lines", () => {
  it("attaches a companion line to the following series and applies a bare @st line as default", () => {
    const [load] = parseTestScript(
      ["load 1m", '  a{x="1"}@st _ -1m', '  a{x="1"} 1 2', "  @st -1s", "  b 1 2 3", ""].join("\n"),
    );
    expect(load?.kind).toBe("load");
    if (load?.kind !== "load") return;
    expect(load.series.map((s) => s.startOffsets)).toEqual([
      [undefined, -60_000],
      [-1000, -1000, -1000],
    ]);
  });

  it("rejects a companion line that does not match the next series", () => {
    expect(() => parseTestScript(["load 1m", "  a@st -1m", "  b 1", ""].join("\n"))).toThrow(
      /does not match/,
    );
    expect(() => parseTestScript(["load 1m", "  a@st -1m -1m", "  a 1", ""].join("\n"))).toThrow(
      /does not match/,
    );
  });
});
