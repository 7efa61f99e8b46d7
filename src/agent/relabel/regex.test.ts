import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AnchoredRegex } from "./regex.js";

/** The same pattern through the engine, for comparison with the shortcuts. */
function engine(pattern: string): AnchoredRegex {
  // A group around the pattern changes nothing it matches but defeats every shortcut; captures shift by one.
  return new AnchoredRegex(`(?:${pattern})`);
}

describe("AnchoredRegex", () => {
  it.each([
    // pattern, matches, does not match
    ["(.*)", ["", "anything", "multi\nline"], []],
    [".*", ["", "x\ny"], []],
    ["(.+)", ["x", "\n"], [""]],
    ["true", ["true"], ["True", "true ", "xtrue"]],
    ["a|b|", ["a", "b", ""], ["ab", "c"]],
    ["go_.*", ["go_", "go_gc_seconds"], ["go", "xgo_"]],
    ["go_.*|process_.*|up", ["go_x", "process_", "up"], ["upx", "go", "xprocess_"]],
    ["a|.*", ["", "zzz"], []],
    [
      "__meta_kubernetes_pod_label_(.+)",
      ["__meta_kubernetes_pod_label_app"],
      ["__meta_kubernetes_pod_label_"],
    ],
    ["prefix_(.*)", ["prefix_", "prefix_x"], ["prefix"]],
    ["f|o", ["f", "o"], ["foo"]], // anchored: a partial match is no match
    ["default;kubernetes;https", ["default;kubernetes;https"], ["default;kubernetes;http"]],
    ["(?i)TRUE", ["true", "True"], ["false"]],
    ["", [""], ["a"]],
    ["a.b", ["a\nb", "axb"], ["ab"]],
    ["(https?)", ["http", "https"], ["ftp"]],
  ])("%j", (pattern, yes, no) => {
    const re = new AnchoredRegex(pattern);
    for (const s of yes) expect(re.test(s), `${pattern} should match ${JSON.stringify(s)}`).toBe(true);
    for (const s of no) expect(re.test(s), `${pattern} should not match ${JSON.stringify(s)}`).toBe(false);
  });

  it("captures as the engine does through the shortcuts", () => {
    expect(new AnchoredRegex("p_(.+)").exec("p_x")).toEqual(["p_x", "x"]);
    expect(new AnchoredRegex("p_(.*)").exec("p_")).toEqual(["p_", ""]);
    expect(new AnchoredRegex("p_.*").exec("p_x")).toEqual(["p_x"]);
    expect(new AnchoredRegex("p_(.+)").exec("p_")).toBeNull();
  });

  it("throws on a pattern RE2 or the translation refuses", () => {
    expect(() => new AnchoredRegex("(a")).toThrow();
    expect(() => new AnchoredRegex("(?m)a")).toThrow();
  });

  it("gives the engine's answers through every shortcut", () => {
    const unit = fc.constantFrom(..."ab_-;\n|.*()+é".split(""), "\u{1F600}");
    const literal = fc.string({ unit: fc.constantFrom(..."ab_-;é".split("")), maxLength: 4 });
    const alternative = fc.tuple(literal, fc.constantFrom("", "", ".*")).map(([p, s]) => p + s);
    const pattern = fc.oneof(
      literal,
      fc.array(alternative, { minLength: 1, maxLength: 4 }).map((xs) => xs.join("|")),
      fc.tuple(literal, fc.constantFrom(".*", "(.*)", "(.+)")).map(([p, s]) => p + s),
    );
    fc.assert(
      fc.property(pattern, fc.array(fc.string({ unit, maxLength: 8 }), { maxLength: 8 }), (p, inputs) => {
        const fast = new AnchoredRegex(p);
        const slow = engine(p);
        const pieces = p.split("|").map((a) => a.replace(/\(?\.[*+]\)?$/, ""));
        for (const s of [...inputs, p, ...pieces, ...pieces.map((x) => `${x}a`)]) {
          expect(fast.test(s)).toBe(slow.test(s));
          const m = fast.exec(s);
          const n = slow.exec(s);
          expect(m === null).toBe(n === null);
          if (m !== null && n !== null) {
            expect(m[0]).toBe(n[0]);
            expect(m[1]).toBe(n[1]);
          }
        }
      }),
    );
  });
});
