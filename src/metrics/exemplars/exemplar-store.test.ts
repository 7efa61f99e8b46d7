import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { Matcher } from "../../model/matcher.js";
import { DEFAULT_LIMITS, TenantLimits } from "../limits/index.js";
import { ExemplarStore } from "./exemplar-store.js";

const L = (r: Record<string, string>) => Labels.fromRecord(r);
const all = [[new Matcher("=~", "__name__", ".+")]];
const trace = (id: string) => L({ trace_id: id });

function store(max = 4): ExemplarStore {
  return new ExemplarStore(
    new TenantLimits({ ...DEFAULT_LIMITS, max_exemplars: max }, { off: { max_exemplars: 0 } }),
  );
}

/** `[series name, [trace id, t]…]` of a selection, for compact assertions. */
function summary(s: ReturnType<ExemplarStore["select"]>): [string, [string, number][]][] {
  return s.map((x) => [
    x.seriesLabels.get("__name__"),
    x.exemplars.map((e) => [e.labels.get("trace_id"), e.t]),
  ]);
}

describe("ExemplarStore", () => {
  it("keeps exemplars per series in time order and selects them by matchers and time", () => {
    const s = store(10);
    const a = L({ __name__: "a", job: "x" });
    const b = L({ __name__: "b", job: "y" });
    expect(s.append("t", a, trace("1"), 1, 1000)).toBe("appended");
    expect(s.append("t", b, trace("2"), 2, 1500)).toBe("appended");
    expect(s.append("t", a, trace("3"), 3, 2000)).toBe("appended");
    expect(summary(s.select(["t"], 0, 5000, all))).toEqual([
      [
        "a",
        [
          ["1", 1000],
          ["3", 2000],
        ],
      ],
      ["b", [["2", 1500]]],
    ]);
    expect(summary(s.select(["t"], 1500, 2000, [[new Matcher("=", "job", "x")]]))).toEqual([
      ["a", [["3", 2000]]],
    ]);
    expect(s.select(["t"], 3000, 4000, all)).toEqual([]);
    expect(s.select(["other"], 0, 5000, all)).toEqual([]);
    const e = s.select(["t"], 0, 1000, all)[0]!.exemplars[0]!;
    expect([e.value, e.t, e.labels.toRecord()]).toEqual([1, 1000, { trace_id: "1" }]);
  });

  it("refuses an exemplar older than the series' newest, and ignores a repeat of the newest", () => {
    const s = store();
    const a = L({ __name__: "a" });
    s.append("t", a, trace("1"), 1, 2000);
    expect(s.append("t", a, trace("1"), 1, 2000)).toBe("duplicate");
    expect(s.append("t", a, trace("0"), 1, 1000)).toBe("out_of_order");
    expect(s.append("t", a, trace("2"), 5, 2000)).toBe("out_of_order");
    expect(s.size("t")).toBe(1);
  });

  it("overwrites the oldest exemplar of all once the tenant's ring is full", () => {
    const s = store(3);
    const a = L({ __name__: "a" });
    const b = L({ __name__: "b" });
    s.append("t", a, trace("a1"), 1, 1);
    s.append("t", b, trace("b1"), 1, 2);
    s.append("t", a, trace("a2"), 1, 3);
    s.append("t", b, trace("b2"), 1, 4); // replaces a1
    expect(summary(s.select(["t"], 0, 10, all))).toEqual([
      ["a", [["a2", 3]]],
      [
        "b",
        [
          ["b1", 2],
          ["b2", 4],
        ],
      ],
    ]);
    s.append("t", b, trace("b3"), 1, 5); // replaces b1
    s.append("t", b, trace("b4"), 1, 6); // replaces a2: series a is gone
    expect(summary(s.select(["t"], 0, 10, all))).toEqual([
      [
        "b",
        [
          ["b2", 4],
          ["b3", 5],
          ["b4", 6],
        ],
      ],
    ]);
    expect(s.size("t")).toBe(3);
    // a comes back with a fresh chain.
    s.append("t", a, trace("a3"), 1, 7);
    expect(summary(s.select(["t"], 0, 10, all))).toEqual([
      ["a", [["a3", 7]]],
      [
        "b",
        [
          ["b3", 5],
          ["b4", 6],
        ],
      ],
    ]);
  });

  it("starts a series afresh when its only exemplar is the one overwritten", () => {
    const s = store(2);
    const a = L({ __name__: "a" });
    s.append("t", a, trace("a1"), 1, 1);
    s.append("t", L({ __name__: "b" }), trace("b1"), 1, 2);
    expect(s.append("t", a, trace("a2"), 1, 3)).toBe("appended"); // takes a1's slot
    expect(s.append("t", a, trace("a3"), 1, 4)).toBe("appended"); // takes b1's slot
    expect(summary(s.select(["t"], 0, 10, all))).toEqual([
      [
        "a",
        [
          ["a2", 3],
          ["a3", 4],
        ],
      ],
    ]);
    const one = store(1);
    for (let t = 1; t <= 3; t++) one.append("t", a, trace(String(t)), 1, t);
    expect(summary(one.select(["t"], 0, 10, all))).toEqual([["a", [["3", 3]]]]);
  });

  it.each([
    [37, 1000],
    [500, 300],
  ])("keeps exactly the newest exemplars through many wraps (%i series, %i slots)", (nSeries, slots) => {
    const s = store(slots);
    const n = 5000;
    for (let i = 0; i < n; i++)
      s.append("t", L({ __name__: `m${(i * 7919) % nSeries}` }), trace(String(i)), i, i);
    const got = s.select(["t"], 0, 1e9, all);
    const ts = got.flatMap((x) => x.exemplars.map((e) => e.t)).sort((x, y) => x - y);
    expect(ts).toEqual(Array.from({ length: slots }, (_, i) => n - slots + i));
    expect(s.size("t")).toBe(slots);
    for (const x of got) {
      for (let i = 1; i < x.exemplars.length; i++)
        expect(x.exemplars[i]!.t).toBeGreaterThan(x.exemplars[i - 1]!.t);
    }
  });

  it("keeps nothing for a tenant whose max_exemplars is 0, and refuses labels past 128 characters", () => {
    const s = store();
    expect(s.append("off", L({ __name__: "a" }), trace("1"), 1, 1)).toBe("disabled");
    expect(s.append("t", L({ __name__: "a" }), L({ trace_id: "x".repeat(121) }), 1, 1)).toBe(
      "labels_too_long",
    );
    expect(s.append("t", L({ __name__: "a" }), L({ trace_id: "é".repeat(120) }), 1, 1)).toBe("appended");
  });

  it("reads several tenants as one dataset, merging a series they share", () => {
    const s = store();
    s.append("a", L({ __name__: "m", cluster: "a" }), trace("1"), 1, 10);
    s.append("b", L({ __name__: "m", cluster: "b" }), trace("2"), 1, 20);
    s.append("a", L({ __name__: "same" }), trace("3"), 1, 30);
    s.append("b", L({ __name__: "same" }), trace("4"), 1, 25);
    const got = s.select(["b", "a"], 0, 100, all);
    expect(got.map((x) => x.seriesLabels.toString())).toEqual(['m{cluster="a"}', 'm{cluster="b"}', "same"]);
    expect(got[2]!.exemplars.map((e) => e.t)).toEqual([25, 30]);
  });
});
