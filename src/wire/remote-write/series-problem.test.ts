import { describe, expect, it } from "vitest";
import { SeriesProblem, type SeriesProblemCode } from "./series-problem.js";

describe("SeriesProblem.first", () => {
  const p = (code: SeriesProblemCode) => new SeriesProblem(code, code);
  const cases: [
    string,
    SeriesProblem | undefined,
    SeriesProblem | undefined,
    SeriesProblemCode | undefined,
  ][] = [
    ["neither", undefined, undefined, undefined],
    ["only a", p("missing_metric_name"), undefined, "missing_metric_name"],
    ["only b", undefined, p("empty_label_name"), "empty_label_name"],
    ["b is more fundamental", p("missing_metric_name"), p("odd_labels_refs"), "odd_labels_refs"],
    [
      "a is more fundamental",
      p("samples_and_histograms"),
      p("histogram_mixed_kinds"),
      "samples_and_histograms",
    ],
  ];
  it.each(cases)("%s", (_name, a, b, want) => {
    expect(SeriesProblem.first(a, b)?.code).toBe(want);
  });

  it("keeps the first of two problems of the same rank", () => {
    const a = new SeriesProblem("symbol_ref_out_of_range", "a");
    expect(SeriesProblem.first(a, new SeriesProblem("symbol_ref_out_of_range", "b"))).toBe(a);
  });
});
