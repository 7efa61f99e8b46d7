import { describe, expect, it } from "vitest";
import { type Health, healthOf } from "./health";

const now = Date.parse("2026-11-20T23:00:00.000Z");
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe("healthOf", () => {
  const cases: [string | null, Health][] = [
    [null, "down"],
    ["not a date", "down"],
    [ago(-3), "ok"], // A clock ahead of ours is not the future.
    [ago(5), "ok"],
    [ago(59.9), "ok"],
    [ago(60), "stale"],
    [ago(299), "stale"],
    [ago(300), "down"],
    [ago(7200), "down"],
    [ago(3 * 86400), "down"],
  ];
  for (const [lastSeen, want] of cases) {
    it(`${lastSeen}`, () => expect(healthOf(lastSeen, now)).toBe(want));
  }
});
