import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLocation, compileTimeFormat, parseRFC3339Nano } from "./time-formats.js";

const ms = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

describe("parseRFC3339Nano", () => {
  it.each([
    ["2024-05-01T10:00:00Z", ms("2024-05-01T10:00:00Z")],
    ["2024-05-01T10:00:00.5Z", ms("2024-05-01T10:00:00Z") + 500_000_000n],
    ["2024-05-01T10:00:00.000000001Z", ms("2024-05-01T10:00:00Z") + 1n],
    ["2024-05-01T10:00:00.1234567891Z", ms("2024-05-01T10:00:00Z") + 123_456_789n],
    ["2024-05-01T12:30:00+02:30", ms("2024-05-01T10:00:00Z")],
    ["2024-05-01T07:00:00.25-03:00", ms("2024-05-01T10:00:00Z") + 250_000_000n],
    ["2024-05-01t10:00:00z", ms("2024-05-01T10:00:00Z")],
    ["0050-01-01T00:00:00Z", ms("0050-01-01T00:00:00Z")],
  ])("%s", (s, want) => {
    expect(parseRFC3339Nano(s)).toBe(want);
  });

  it.each([
    "",
    "2024-05-01",
    "2024-05-01T10:00:00",
    "2024-13-01T10:00:00Z",
    "2024-05-01T24:00:00Z",
    "2024-05-01T10:00:00.Z",
    "2024-05-01T10:00:00Zjunk",
    "2024-05-01T10:00:00+0200",
    "20x4-05-01T10:00:00Z",
    "2024-05-01T10:0a:00Z",
  ])("rejects %s", (s) => {
    expect(parseRFC3339Nano(s)).toBeUndefined();
  });

  it("agrees with Date for any millisecond instant and offset, also when a prefix is cached", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (t, offMin) => {
          const local = new Date(t + offMin * 60_000).toISOString().slice(0, 23);
          const sign = offMin < 0 ? "-" : "+";
          const a = Math.abs(offMin);
          const off = `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
          expect(parseRFC3339Nano(`${local}${off}`)).toBe(BigInt(t) * 1_000_000n);
          expect(parseRFC3339Nano(`${local}${off}`)).toBe(BigInt(t) * 1_000_000n);
        },
      ),
      { seed: 3, numRuns: 500 },
    );
  });
});

describe("compileTimeFormat", () => {
  const now = Date.UTC(2024, 4, 1, 12);
  it.each([
    ["RFC1123", "Wed, 01 May 2024 10:00:00 UTC", ms("2024-05-01T10:00:00Z")],
    ["RFC1123Z", "Wed, 01 May 2024 12:00:00 +0200", ms("2024-05-01T10:00:00Z")],
    ["ANSIC", "Wed May  1 10:00:00 2024", ms("2024-05-01T10:00:00Z")],
    ["StampMilli", "May  1 10:00:00.123", ms("2024-05-01T10:00:00.123Z")],
    ["02/Jan/2006:15:04:05 -0700", "01/May/2024:12:00:00 +0200", ms("2024-05-01T10:00:00Z")],
    ["2006-01-02T15:04:05.999999999Z07:00", "2024-05-01T10:00:00.5Z", ms("2024-05-01T10:00:00.5Z")],
    ["Unix", "-1.5", -1_500_000_000n],
    ["UnixMs", "x", undefined],
  ])("%s %s", (format, value, want) => {
    expect(compileTimeFormat(format, undefined)(value, now)).toBe(want);
  });

  it("reads zone-less values in the location", () => {
    const paris = compileLocation("Europe/Paris");
    expect(compileTimeFormat("2006-01-02 15:04:05", paris)("2024-01-15 11:00:00", now)).toBe(
      ms("2024-01-15T10:00:00Z"),
    );
    expect(compileTimeFormat("2006-01-02 15:04:05", paris)("2024-07-15 12:00:00", now)).toBe(
      ms("2024-07-15T10:00:00Z"),
    );
    expect(compileTimeFormat("RFC3339", paris)("2024-07-15T10:00:00Z", now)).toBe(ms("2024-07-15T10:00:00Z"));
    expect(compileLocation("-05:30")!(0)).toEqual([-19800, ""]);
    expect(compileLocation("Nowhere/Land")).toBeUndefined();
  });
});
