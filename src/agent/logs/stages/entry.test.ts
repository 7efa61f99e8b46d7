import { describe, expect, it } from "vitest";
import { StreamKeys, streamKey, valueToString } from "./entry.js";

describe("StreamKeys", () => {
  it("returns the key of the labels, also after the previous map was changed", () => {
    const keys = new StreamKeys();
    const a = new Map([["pod", "a"]]);
    const ka = keys.of(a);
    expect(ka).toBe(streamKey(new Map([["pod", "a"]])));
    a.set("level", "x"); // a later stage changed the previous entry's labels
    expect(keys.of(new Map([["pod", "a"]]))).toBe(ka);
    expect(keys.of(new Map([["pod", "b"]]))).not.toBe(ka);
    expect(
      keys.of(
        new Map([
          ["pod", "a"],
          ["c", "1"],
        ]),
      ),
    ).toBe(
      streamKey(
        new Map([
          ["pod", "a"],
          ["c", "1"],
        ]),
      ),
    );
    expect(keys.of(new Map([["pod", "a"]]))).toBe(ka);
  });

  it("keys cannot collide through separators inside values", () => {
    expect(streamKey(new Map([["a", "b\u0001c"]]))).not.toBe(
      streamKey(
        new Map([
          ["a", "b"],
          ["c", ""],
        ]),
      ),
    );
  });
});

describe("valueToString", () => {
  it.each([
    ["s", "s"],
    [1.5, "1.5"],
    [true, "true"],
    [null, ""],
    [undefined, ""],
    [{ a: [1] }, '{"a":[1]}'],
    [10n, "10"],
  ])("%s", (v, want) => {
    expect(valueToString(v)).toBe(want);
  });
});
