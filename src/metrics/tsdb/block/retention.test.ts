import { describe, expect, it } from "vitest";
import { type RetentionLimits, retentionVictims, type SizedBlock } from "./retention.js";

/** Block `n` over `[min, max)` of `size` bytes; its ULID sorts by `n`. */
const b = (n: number, min: number, max: number, size = 100): SizedBlock => ({
  meta: { ulid: `01J${String(n).padStart(23, "0")}`, minTime: min, maxTime: max },
  sizeBytes: size,
});

// Four adjacent blocks of 100 bytes: [0,10) [10,20) [20,30) [30,40).
const four = [b(1, 0, 10), b(2, 10, 20), b(3, 20, 30), b(4, 30, 40)];

describe("retentionVictims", () => {
  // [name, blocks, limits, victims as "n:reason", oldest first]
  it.each<[string, SizedBlock[], RetentionLimits, string[]]>([
    ["no limits", four, {}, []],
    ["zero means no limit", four, { retentionMs: 0, retentionBytes: 0 }, []],
    ["no blocks", [], { retentionMs: 1, retentionBytes: 1 }, []],
    // Reference 40: the cutoff is 40 − 15 = 25; blocks ending at or before 25 go.
    ["by time, from the newest block's maxTime", four, { retentionMs: 15 }, ["1:time", "2:time"]],
    ["a block ending exactly at the cutoff goes", four, { retentionMs: 20 }, ["1:time", "2:time"]],
    ["a block ending just after the cutoff stays", four, { retentionMs: 21 }, ["1:time"]],
    [
      "the head's newer data moves the reference",
      four,
      { retentionMs: 15, newestDataMs: 50 },
      ["1:time", "2:time", "3:time"],
    ],
    ["older head data does not", four, { retentionMs: 15, newestDataMs: 5 }, ["1:time", "2:time"]],
    ["by size, newest blocks kept", four, { retentionBytes: 250 }, ["1:size", "2:size"]],
    ["by size, exactly at the limit stays", four, { retentionBytes: 200 }, ["1:size", "2:size"]],
    [
      "by size, counting reserved bytes",
      four,
      { retentionBytes: 250, reservedBytes: 100 },
      ["1:size", "2:size", "3:size"],
    ],
    [
      "by size, even the newest block",
      four,
      { retentionBytes: 50 },
      ["1:size", "2:size", "3:size", "4:size"],
    ],
    [
      "time first, then size among the rest",
      [b(1, 0, 10, 10), b(2, 10, 20, 500), b(3, 20, 30, 100), b(4, 30, 40, 100)],
      { retentionMs: 25, retentionBytes: 250 },
      ["1:time", "2:size"],
    ],
    [
      "size order follows maxTime, not the input order",
      [b(4, 30, 40), b(1, 0, 10), b(3, 20, 30), b(2, 10, 20)],
      { retentionBytes: 300 },
      ["1:size"],
    ],
    [
      "overlapping blocks: the one ending last is newest",
      [b(1, 0, 35, 100), b(2, 10, 20, 100), b(3, 20, 30, 100)],
      { retentionBytes: 200 },
      ["2:size"],
    ],
  ])("%s", (_name, blocks, limits, want) => {
    expect(retentionVictims(blocks, limits).map((v) => `${Number(v.ulid.slice(3))}:${v.reason}`)).toEqual(
      want,
    );
  });
});
