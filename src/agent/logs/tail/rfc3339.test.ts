import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRfc3339Nano } from "./rfc3339.js";

const b = (s: string) => Buffer.from(s, "utf8");

describe("parseRfc3339Nano", () => {
  it.each([
    ["1970-01-01T00:00:00Z", 0n],
    ["1970-01-01T00:00:01.5Z", 1_500_000_000n],
    ["2024-05-01T10:00:00.123456789Z", BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 123_456_789n],
    ["2024-05-01T12:00:00.000000001+02:00", BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 1n],
    ["2024-05-01T09:30:00-00:30", BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n],
    ["2024-05-01T10:00:00.1234567891234Z", BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 123_456_789n],
  ])("%s", (s, want) => {
    expect(parseRfc3339Nano(b(s), 0, s.length)).toBe(want);
  });

  it.each([
    "2024-05-01T10:00:00",
    "2024-05-01 10:00:00Z",
    "2024-13-01T10:00:00Z",
    "2024-05-01T10:00:00.Z",
    "2024-05-01T10:00:00Zx",
    "2024-05-01T10:00:00+0200",
    "x024-05-01T10:00:00Z",
  ])("rejects %s", (s) => {
    expect(parseRfc3339Nano(b(s), 0, s.length)).toBeUndefined();
  });

  it("agrees with Date.parse to the millisecond", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(1000, 0, 1), max: new Date(9999, 0, 1), noInvalidDate: true }),
        (d) => {
          const s = d.toISOString();
          expect(parseRfc3339Nano(b(s), 0, s.length)).toBe(BigInt(d.getTime()) * 1_000_000n);
        },
      ),
    );
  });
});
