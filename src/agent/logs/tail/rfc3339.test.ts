import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lastSubMsNanos, parseRfc3339Ms, parseRfc3339Nano } from "./rfc3339.js";

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

describe("parseRfc3339Ms", () => {
  const ms2024 = Date.UTC(2024, 4, 1, 10);
  it.each([
    ["1970-01-01T00:00:00Z", 0, 0],
    ["2024-05-01T10:00:00.123456789Z", ms2024 + 123, 456_789],
    ["2024-05-01T12:00:00.000000001+02:00", ms2024, 1],
    ["2024-05-01T10:00:00.999999999Z", ms2024 + 999, 999_999],
    ["2024-05-01T10:00:00.5Z", ms2024 + 500, 0],
    // Before 1970: milliseconds round down, the rest stays positive.
    ["1969-12-31T23:59:59.9999995Z", -1, 999_500],
    ["1969-12-31T23:59:59.000000001Z", -1000, 1],
    ["1969-12-31T23:59:59Z", -1000, 0],
    ["0001-01-01T00:00:00.000000123Z", Date.parse("0001-01-01T00:00:00Z"), 123],
    ["0099-12-31T23:59:59.001Z", Date.parse("0099-12-31T23:59:59.001Z"), 0],
    ["2000-02-29T12:00:00Z", Date.UTC(2000, 1, 29, 12), 0],
    // A day past the month's end rolls over, as with Date.UTC (kept from before).
    ["2023-02-29T00:00:00Z", Date.UTC(2023, 2, 1), 0],
    ["2016-12-31T23:59:60Z", Date.UTC(2017, 0, 1), 0],
  ])("%s", (s, ms, subNs) => {
    expect(parseRfc3339Ms(b(s), 0, s.length)).toBe(ms);
    expect(lastSubMsNanos()).toBe(subNs);
  });

  it.each(["2024-05-01T10:00:00", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00+0200", ""])(
    "NaN for %j",
    (s) => {
      expect(parseRfc3339Ms(b(s), 0, s.length)).toBeNaN();
    },
  );

  it("reads a range of a bigger buffer", () => {
    const buf = b("xx2024-05-01T10:00:00.000001Zyy");
    expect(parseRfc3339Ms(buf, 2, buf.length - 2)).toBe(ms2024);
    expect(lastSubMsNanos()).toBe(1000);
  });

  it("agrees with parseRfc3339Nano (property)", () => {
    const ns = fc.bigInt({ min: -62_135_596_800_000_000_000n, max: 253_402_300_799_999_999_999n });
    fc.assert(
      fc.property(
        ns,
        fc.constantFrom("Z", "+02:00", "-11:30", "+00:00"),
        fc.integer({ min: 0, max: 9 }),
        (tsNs, zone, digits) => {
          // A valid timestamp for `tsNs` (truncated to `digits` fractional digits), written in `zone`.
          const offMin =
            zone === "Z"
              ? 0
              : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
          const floorDiv = (a: bigint, d: bigint) => (a >= 0n ? a / d : -((-a + d - 1n) / d));
          const ms = Number(floorDiv(tsNs, 1_000_000n));
          const frac9 = String(tsNs - floorDiv(tsNs, 1_000_000_000n) * 1_000_000_000n).padStart(9, "0");
          const local = new Date(ms + offMin * 60_000).toISOString().slice(0, 19);
          if (local.startsWith("-") || local.startsWith("+")) return; // outside years 0000–9999
          const s = `${local}${digits > 0 ? `.${frac9.slice(0, digits)}` : ""}${zone}`;
          const got = parseRfc3339Ms(b(s), 0, s.length);
          const sub = lastSubMsNanos();
          const want = parseRfc3339Nano(b(s), 0, s.length);
          expect(want).toBeDefined();
          expect(BigInt(got) * 1_000_000n + BigInt(sub)).toBe(want);
          expect(sub >= 0 && sub <= 999_999 && Number.isInteger(sub)).toBe(true);
          const scale = 10n ** BigInt(9 - digits);
          expect(want).toBe(floorDiv(tsNs, scale) * scale);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
