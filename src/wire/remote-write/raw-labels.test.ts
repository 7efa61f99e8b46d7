import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashLabels } from "../../model/label-hash.js";
import { Labels } from "../../model/labels.js";
import { RawLabelsBuffer } from "./raw-labels.js";
import { label, labelSet, labelText, rawPairs } from "./remote-write.testlib.js";
import type { SeriesProblemCode } from "./series-problem.js";
import type { LabelV1 } from "./v1.js";

const encoder = new TextEncoder();

/** A view over `labels`, laid out in one buffer behind some unrelated bytes. */
function view(labels: readonly LabelV1[], requireMetricName = true): RawLabelsBuffer {
  const parts: number[] = [0xff, 0xfe];
  const ranges: number[] = [];
  for (const l of labels) {
    for (const s of [l.name, l.value]) {
      const b = encoder.encode(s);
      ranges.push(parts.length, parts.length + b.length);
      parts.push(...b, 0xff);
    }
  }
  const buf = new Uint8Array(parts);
  const v = new RawLabelsBuffer(requireMetricName);
  v.reset(buf);
  for (let i = 0; i < ranges.length; i += 4) {
    expect(v.addBytes(ranges[i]!, ranges[i + 1]!, ranges[i + 2]!, ranges[i + 3]!)).toBe(true);
  }
  v.seal(undefined);
  return v;
}

/** The problem a receiver sees in `labels`, computed the slow way. */
function expectedProblem(labels: readonly LabelV1[]): SeriesProblemCode | undefined {
  if (labels.some((l) => l.name === "")) return "empty_label_name";
  if (new Set(labels.map((l) => l.name)).size !== labels.length) return "repeated_label_name";
  if (!labels.some((l) => l.name === "__name__" && l.value !== "")) return "missing_metric_name";
  return undefined;
}

const flat = (labels: readonly LabelV1[]) => labels.flatMap((l) => [l.name, l.value]);

describe("RawLabels", () => {
  const problems: [string, LabelV1[], SeriesProblemCode | undefined][] = [
    [
      "valid",
      [
        { name: "__name__", value: "up" },
        { name: "job", value: "x" },
      ],
      undefined,
    ],
    [
      "empty name",
      [
        { name: "__name__", value: "up" },
        { name: "", value: "x" },
      ],
      "empty_label_name",
    ],
    [
      "repeated adjacent",
      [
        { name: "__name__", value: "up" },
        { name: "a", value: "1" },
        { name: "a", value: "2" },
      ],
      "repeated_label_name",
    ],
    [
      "repeated apart",
      [
        { name: "b", value: "1" },
        { name: "__name__", value: "up" },
        { name: "b", value: "" },
      ],
      "repeated_label_name",
    ],
    ["no name", [{ name: "job", value: "x" }], "missing_metric_name"],
    [
      "empty metric name",
      [
        { name: "__name__", value: "" },
        { name: "job", value: "x" },
      ],
      "missing_metric_name",
    ],
    ["nothing", [], "missing_metric_name"],
    [
      "unsorted is fine",
      [
        { name: "z", value: "1" },
        { name: "__name__", value: "up" },
      ],
      undefined,
    ],
  ];
  it.each(problems)("problem(): %s", (_name, labels, code) => {
    const v = view(labels);
    expect(v.problem()?.code).toBe(code);
    expect(v.hasEmptyName()).toBe(code === "empty_label_name");
    expect(v.hasRepeatedName()).toBe(code === "repeated_label_name");
  });

  it("does not ask exemplar labels for a metric name", () => {
    expect(view([{ name: "trace_id", value: "abc" }], false).problem()).toBeUndefined();
  });

  it("finds repeated names among many unsorted labels", () => {
    const labels = Array.from({ length: 100 }, (_, i) => ({ name: `l${(i * 37) % 100}`, value: "v" }));
    labels.push({ name: "__name__", value: "x" });
    expect(view(labels).problem()).toBeUndefined();
    labels.push({ name: "l5", value: "w" });
    expect(view(labels).problem()?.code).toBe("repeated_label_name");
  });

  it("agrees with Labels on arbitrary label sets", () => {
    fc.assert(
      fc.property(labelSet, fc.array(label, { maxLength: 4 }), (labels, others) => {
        const v = view(labels);
        expect(v.count).toBe(labels.length);
        expect(rawPairs(v)).toEqual(labels);
        for (const [i, l] of labels.entries()) expect(v.nameEquals(i, l.name)).toBe(true);
        const code = expectedProblem(labels);
        expect(v.problem()?.code).toBe(code);
        if (code !== undefined) {
          expect(() => v.toLabels()).toThrow(RangeError);
          return;
        }
        const want = Labels.fromPairs(flat(labels));
        const got = v.toLabels();
        expect(got.pairs).toEqual(want.pairs);
        expect(v.equals(want)).toBe(true);
        expect(v.hash).toBe(hashLabels(want));
        expect(Number.isSafeInteger(v.hash) && v.hash >= 0).toBe(true);
        // Another set equals it exactly when it holds the same pairs.
        const other = Labels.fromPairs(flat([...labels, ...others]));
        expect(v.equals(other)).toBe(other.equals(want));
      }),
      { numRuns: 1000 },
    );
  });

  it("hashes the same labels the same in any order, and leaves out empty values", () => {
    fc.assert(
      fc.property(labelSet, fc.nat(), labelText, (labels, seed, name) => {
        const shuffled = [...labels].sort(
          (a, b) => ((a.name.length * 31 + seed) % 7) - ((b.name.length * 31 + seed) % 7),
        );
        expect(view(shuffled).hash).toBe(view(labels).hash);
        const withEmpty = [...labels, { name: `${name}~`, value: "" }];
        expect(view(withEmpty).hash).toBe(view(labels).hash);
      }),
      { numRuns: 500 },
    );
  });

  it("tells label sets apart by their hash", () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      hashes.add(
        view([
          { name: "__name__", value: "m" },
          { name: "i", value: String(i) },
        ]).hash,
      );
    }
    expect(hashes.size).toBe(20_000);
    // Swapping a name and a value changes the hash.
    expect(view([{ name: "a", value: "b" }]).hash).not.toBe(view([{ name: "b", value: "a" }]).hash);
  });

  it("compares unsorted and non-ASCII sets by content", () => {
    const labels = [
      { name: "\u{1F600}", value: "1" },
      { name: "\uE000", value: "2" },
      { name: "__name__", value: "x" },
      { name: "e", value: "" },
    ];
    const want = Labels.fromPairs(flat(labels));
    const v = view(labels);
    expect(v.equals(want)).toBe(true);
    expect(v.equals(want.with("\uE000", "3"))).toBe(false);
    expect(v.equals(want.without(new Set(["\uE000"])))).toBe(false);
    expect(v.toLabels().pairs).toEqual(want.pairs);
  });

  it("refuses out-of-range indexes", () => {
    const v = view([{ name: "__name__", value: "x" }]);
    expect(() => v.nameAt(1)).toThrow(RangeError);
    expect(() => v.valueAt(-1)).toThrow(RangeError);
    expect(v.toString()).toBe('{__name__="x"}');
  });

  it("refuses invalid UTF-8", () => {
    const v = new RawLabelsBuffer();
    v.reset(new Uint8Array([0x61, 0xc3, 0x28]));
    expect(v.addBytes(0, 1, 1, 3)).toBe(false);
    expect(v.count).toBe(0);
  });
});
