import { describe, expect, it } from "vitest";
import { toExponentialEven, toFixedEven } from "./round-half-even.js";

describe("toFixedEven", () => {
  it.each([
    [2.25, 1, "2.2"],
    [2.35, 1, "2.4"], // 2.35 is 2.35000000000000008882 in binary: not a tie
    [0.125, 2, "0.12"],
    [0.375, 2, "0.38"],
    [2.5, 0, "2"],
    [3.5, 0, "4"],
    [1e21, 0, "1000000000000000000000"],
    [2.71, 6, "2.710000"],
  ])("%d with %d digits", (a, prec, want) => {
    expect(toFixedEven(a, prec)).toBe(want);
  });
});

describe("toExponentialEven", () => {
  it.each([
    [1234.5, 3, "1.234", 3],
    [1235, 2, "1.24", 3],
    [1225, 2, "1.22", 3],
    [0.000012345, 4, "1.2345", -5],
    [5, 0, "5", 0],
  ])("%d with %d digits", (a, prec, mantissa, exp) => {
    expect(toExponentialEven(a, prec)).toEqual({ mantissa, exp });
  });
});
