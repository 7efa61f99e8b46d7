import { describe, expect, it } from "vitest";
import { type LogQueryExpr, parseLogQL } from "../logql/index.js";
import { selectHint } from "./select-hint.js";

const hintOf = (q: string) => selectHint((parseLogQL(q) as LogQueryExpr).pipeline);

describe("selectHint", () => {
  it("takes the leading |= needles, past other line filters, up to the first stage that parses or rewrites", () => {
    expect(hintOf('{a="b"} |= "x" != "y" |~ "z" |= "w" | json |= "after"')).toEqual({
      lineContains: ["x", "w"],
    });
  });

  it("gives nothing for alternatives, ip(), empty needles or a pipeline that starts with a parser", () => {
    expect(hintOf('{a="b"} |= "x" or "y"')).toBeUndefined();
    expect(hintOf('{a="b"} |= ip("10.0.0.1")')).toBeUndefined();
    expect(hintOf('{a="b"} |= ""')).toBeUndefined();
    expect(hintOf('{a="b"} | logfmt |= "x"')).toBeUndefined();
    expect(hintOf('{a="b"} | line_format "{{.a}}" |= "x"')).toBeUndefined();
  });
});
