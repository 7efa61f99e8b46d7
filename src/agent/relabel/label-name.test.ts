// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${1}" is relabeling's own template syntax, not a mistaken template literal.
import { describe, expect, it } from "vitest";
import { isValidLabelName, isValidLabelNameTemplate } from "./label-name.js";

describe("label names", () => {
  it.each([
    // name, legacy, utf8
    ["job", true, true],
    ["_x9", true, true],
    ["9x", false, true],
    ["a-b", false, true],
    ["app.kubernetes.io/name", false, true],
    ["ñ", false, true],
    ["", false, false],
    ["\uD800", false, false], // a lone surrogate has no UTF-8 form
  ])("%j: legacy %s, utf8 %s", (name, legacy, utf8) => {
    expect(isValidLabelName(name, "legacy")).toBe(legacy);
    expect(isValidLabelName(name, "utf8")).toBe(utf8);
  });

  it.each([
    // target_label or labelmap replacement with references, legacy scheme
    ["-label", false],
    ["label", true],
    ["label${1}", true],
    ["${1}label", true],
    ["${1}", true],
    ["${", false],
    ["$", false],
    ["${}", false],
    ["foo${", false],
    ["$1", true],
    ["asd$2asd", true],
    ["-foo${1}bar-", false],
    ["_${1}_", true],
    ["foo${bar}foo", true],
    ["0${3}", false],
    ["$1$2", true],
    ["$$", false],
    ["a${1}-", false],
  ])("legacy template %j: %s", (name, valid) => {
    expect(isValidLabelNameTemplate(name, "legacy")).toBe(valid);
  });

  it("checks a template under utf8 as a plain name", () => {
    expect(isValidLabelNameTemplate("-${1}", "utf8")).toBe(true);
    expect(isValidLabelNameTemplate("", "utf8")).toBe(false);
  });

  it("answers fast on long input that almost matches", () => {
    const name = `${"a$1".repeat(20_000)}-`;
    const t0 = performance.now();
    expect(isValidLabelNameTemplate(name, "legacy")).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});
