import { describe, expect, it } from "vitest";
import { RateWindow } from "./rate-window.js";

describe("RateWindow", () => {
  it("averages events over the window and forgets what slid out", () => {
    const w = new RateWindow(60_000, 12);
    const t0 = 1_000_000_000;
    w.add(600, t0);
    expect(w.perSecond(t0)).toBe(10);
    w.add(600, t0 + 30_000);
    expect(w.perSecond(t0 + 30_000)).toBe(20);
    expect(w.perSecond(t0 + 61_000)).toBe(10);
    expect(w.perSecond(t0 + 10 * 60_000)).toBe(0);
  });

  it("ignores a clock that steps backwards by counting into the current bucket", () => {
    const w = new RateWindow(10_000, 10);
    w.add(10, 50_000);
    w.add(10, 49_000);
    expect(w.perSecond(50_000)).toBe(2);
  });
});
