import { describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { HeadPostings } from "./head-postings.js";

const labelsOf = (i: number): Labels =>
  Labels.fromRecord({ __name__: `m${i % 3}`, job: "node", instance: `h${i % 5}` });

function refs(p: HeadPostings, ...matchers: Matcher[]): number[] {
  return [...(p.candidates(matchers) ?? [])];
}

describe("HeadPostings", () => {
  it("keeps lists ascending when a ref is added out of order (a series brought back)", () => {
    const p = new HeadPostings();
    for (const r of [0, 2, 5, 9, 1, 7, 3]) p.add(r, Labels.fromRecord({ job: "x" }));
    expect(refs(p, new Matcher("=", "job", "x"))).toEqual([0, 1, 2, 3, 5, 7, 9]);
  });

  it("removes many series at once from every list they are in, and drops emptied pairs", () => {
    const p = new HeadPostings();
    const n = 100;
    for (let i = 0; i < n; i++) p.add(i, labelsOf(i));
    const gone = [];
    for (let i = 0; i < n; i++) if (i % 5 === 0 || i % 3 === 2) gone.push(i);
    p.remove(
      gone,
      gone.map((r) => labelsOf(r)),
    );
    const alive = (f: (i: number) => boolean) =>
      Array.from({ length: n }, (_, i) => i).filter((i) => f(i) && !(i % 5 === 0 || i % 3 === 2));
    expect(refs(p, new Matcher("=", "job", "node"))).toEqual(alive(() => true));
    expect(refs(p, new Matcher("=", "__name__", "m1"))).toEqual(alive((i) => i % 3 === 1));
    expect(refs(p, new Matcher("=~", "instance", "h[12]"))).toEqual(alive((i) => i % 5 === 1 || i % 5 === 2));
    // Every m2 and every h0 series went: those pairs are gone.
    expect(refs(p, new Matcher("=", "__name__", "m2"))).toEqual([]);
    expect(refs(p, new Matcher("=~", "instance", ".+"))).toEqual(alive(() => true));
    expect(refs(p, new Matcher("=", "instance", "h0"))).toEqual([]);
    // Adding again after removals, and removing what is not there, are fine.
    p.add(n, labelsOf(2));
    expect(refs(p, new Matcher("=", "__name__", "m2"))).toEqual([n]);
    p.remove([n + 1, 0], [labelsOf(n + 1), labelsOf(0)]);
    p.remove([], []);
    expect(refs(p, new Matcher("=", "__name__", "m2"))).toEqual([n]);
    p.remove([n], [labelsOf(2)]);
    expect(refs(p, new Matcher("=", "job", "node"))).toEqual(alive(() => true));
  });
});
