import { describe, expect, it } from "vitest";
import { compactionRanges, type PlannedBlock, planCompaction } from "./planner.js";

const H = 3_600_000;
const D = 24 * H;

/** Block `n` over `[minH, maxH)` hours; its ULID sorts by `n`. */
const b = (n: number, minH: number, maxH: number): PlannedBlock => ({
  ulid: `01J${String(n).padStart(23, "0")}`,
  minTime: minH * H,
  maxTime: maxH * H,
});

describe("compactionRanges", () => {
  it.each<[string, Parameters<typeof compactionRanges>[0], number[]]>([
    ["default: 2 h ×3 up to 31 days", {}, [2, 6, 18, 54, 162, 486]],
    ["capped at 10 % of a 15-day retention", { retentionMs: 15 * D }, [2, 6, 18]],
    ["a retention too short for a second range", { retentionMs: H }, [2]],
    ["own block duration and cap", { blockDurationMs: H, maxBlockDurationMs: 10 * H }, [1, 3, 9]],
    ["a cap exactly on a range keeps it", { maxBlockDurationMs: 18 * H }, [2, 6, 18]],
  ])("%s", (_name, opts, hours) => {
    expect(compactionRanges(opts)).toEqual(hours.map((h) => h * H));
  });

  it("refuses a block duration that is not a positive integer", () => {
    expect(() => compactionRanges({ blockDurationMs: 0 })).toThrow(RangeError);
    expect(() => compactionRanges({ blockDurationMs: 1.5 })).toThrow(RangeError);
  });
});

describe("planCompaction", () => {
  const ranges = [2 * H, 6 * H, 18 * H];

  // [name, blocks (any order), the numbers of the planned blocks]
  it.each<[string, PlannedBlock[], number[]]>([
    ["nothing", [], []],
    ["one block", [b(1, 0, 2)], []],
    ["two blocks: the newest is set aside", [b(1, 0, 2), b(2, 2, 4)], []],
    ["three blocks spanning a 6 h window", [b(1, 0, 2), b(2, 2, 4), b(3, 4, 6), b(4, 6, 8)], [1, 2, 3]],
    ["in any input order", [b(4, 6, 8), b(2, 2, 4), b(3, 4, 6), b(1, 0, 2)], [1, 2, 3]],
    ["a window not spanned and not finished waits", [b(1, 0, 2), b(2, 2, 4), b(3, 4, 6)], []],
    [
      "a window finished by a later block (with a gap) is taken",
      [b(1, 0, 2), b(2, 2, 4), b(3, 6, 8), b(4, 8, 10)],
      [1, 2],
    ],
    ["gaps inside a spanned window are allowed", [b(1, 0, 2), b(2, 4, 6), b(3, 6, 8), b(4, 8, 10)], [1, 2]],
    ["bigger blocks go up a range", [b(1, 0, 6), b(2, 6, 12), b(3, 12, 18), b(4, 18, 20)], [1, 2, 3]],
    [
      "a block crossing a window's end stays out of it",
      [b(1, 0, 2), b(2, 2, 4), b(3, 4, 8), b(4, 8, 10)],
      [1, 2],
    ],
    [
      "the smaller range comes first",
      [b(1, 0, 6), b(2, 6, 12), b(3, 12, 14), b(4, 14, 16), b(5, 16, 18), b(6, 18, 20)],
      [3, 4, 5],
    ],
    ["negative times align downwards", [b(1, -4, -2), b(2, -2, 0), b(3, 0, 2), b(4, 2, 4)], [1, 2]],
    [
      "overlapping blocks come first",
      [b(1, 0, 2), b(2, 2, 4), b(3, 4, 6), b(4, 6, 8), b(5, 1, 3)],
      [1, 5, 2],
    ],
    ["overlap chains join", [b(1, 0, 4), b(2, 1, 2), b(3, 3, 5), b(4, 6, 8)], [1, 2, 3]],
    ["overlap with the newest block counts too", [b(1, 0, 2), b(2, 2, 4), b(3, 3, 5)], [2, 3]],
    ["touching ranges do not overlap (maxTime is exclusive)", [b(1, 0, 2), b(2, 2, 4)], []],
    ["a fully compacted history stays as it is", [b(1, 0, 18), b(2, 18, 36), b(3, 36, 38)], []],
  ])("%s", (_name, blocks, want) => {
    expect(planCompaction(blocks, ranges).map((m) => Number(m.ulid.slice(3)))).toEqual(want);
  });
});
