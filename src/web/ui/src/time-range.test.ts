import { describe, expect, it } from "vitest";
import { stepFor } from "./time-range";

describe("stepFor", () => {
  it.each([
    [15 * 60, 15],
    [3600, 15],
    [6 * 3600, 86],
  ])("stepFor(%s) = %s", (range, want) => expect(stepFor(range)).toBe(want));
});
