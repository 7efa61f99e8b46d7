import { describe, expect, it } from "vitest";
import { atInvarianceCases } from "./at-invariance.js";

describe("atInvarianceCases (FORMAT.md §6.1)", () => {
  it("pins selectors and subqueries without a fixed @ time, and re-runs at five other times", () => {
    const cases = atInvarianceCases("rate(foo[5m]) + on(a) bar @ start()", 60_000);
    expect(cases.map((c) => c.t)).toEqual([-600_000, 0, 12_000, 60_000, 600_000]);
    expect(new Set(cases.map((c) => c.expr))).toEqual(
      new Set(["rate(foo[5m] @ 60.000) + on (a) bar @ 60.000"]),
    );
  });

  it("leaves a subquery's inside alone once the subquery is pinned", () => {
    const [c] = atInvarianceCases("max_over_time((foo + time())[5m:1m] @ 30) - foo", 0);
    expect(c?.expr).toBe("max_over_time((foo + time())[5m:1m] @ 30.000) - foo @ 0.000");
    expect(atInvarianceCases("foo", 0).map((x) => x.t)).toEqual([-1000, 0, 1000]);
  });

  it("skips queries whose result depends on the evaluation time", () => {
    expect(atInvarianceCases("time() - foo", 60_000)).toEqual([]);
    expect(atInvarianceCases("timestamp(foo)", 60_000)).toEqual([]);
    expect(atInvarianceCases("minute(foo)", 60_000)).toEqual([]);
    expect(atInvarianceCases("foo{", 60_000)).toEqual([]);
  });
});
