import { describe, expect, it } from "vitest";
import { MAX_ANNOTATIONS, splitAnnotations } from "./annotations.js";

describe("splitAnnotations", () => {
  it("puts infos apart from warnings, in order", () => {
    expect(
      splitAnnotations([
        "PromQL warning: quantile value should be between 0 and 1, got 2",
        'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"',
        "results truncated due to limit",
      ]),
    ).toEqual({
      warnings: [
        "PromQL warning: quantile value should be between 0 and 1, got 2",
        "results truncated due to limit",
      ],
      infos: [
        'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"',
      ],
    });
    expect(splitAnnotations([])).toEqual({ warnings: [], infos: [] });
  });

  it("keeps at most 10 of each and counts the others", () => {
    const w = Array.from({ length: 13 }, (_, i) => `PromQL warning: w${i}`);
    const i = Array.from({ length: 11 }, (_, k) => `PromQL info: i${k}`);
    const got = splitAnnotations([...w, ...i]);
    expect(got.warnings).toEqual([...w.slice(0, MAX_ANNOTATIONS), "3 more warning annotations omitted"]);
    expect(got.infos).toEqual([...i.slice(0, MAX_ANNOTATIONS), "1 more info annotations omitted"]);
  });
});
