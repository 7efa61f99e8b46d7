import { describe, expect, it } from "vitest";
import { parseGoDuration } from "./go-duration.js";
import { formatTime, GoTime } from "./go-time.js";
import { parseTime, TimeParseError } from "./go-time-parse.js";

// 2009-11-10T23:04:05.012345678Z, a Tuesday (Go's playground time plus fractions).
const t = new GoTime(1257894245012345678n);
const plus2 = new GoTime(t.ns, 7200, "");

describe("formatTime with Go layouts", () => {
  it.each([
    ["2006-01-02T15:04:05Z07:00", t, "2009-11-10T23:04:05Z"],
    ["2006-01-02T15:04:05Z07:00", plus2, "2009-11-11T01:04:05+02:00"],
    ["2006-01-02T15:04:05.999999999Z07:00", t, "2009-11-10T23:04:05.012345678Z"],
    ["2006-01-02T15:04:05.000-0700", t, "2009-11-10T23:04:05.012+0000"],
    ["15:04:05.9", t, "23:04:05"],
    ["Mon, 02 Jan 2006 15:04:05 MST", t, "Tue, 10 Nov 2009 23:04:05 UTC"],
    ["Monday January 2 3:4:5 pm -07", plus2, "Wednesday November 11 1:4:5 am +02"],
    ["MST", plus2, "+0200"],
    ["_2 __2 002 06", new GoTime(1230768000n * 1_000_000_000n), " 1   1 001 09"],
    ["Z07:00:00 -070000", plus2, "+02:00:00 +020000"],
    ["2006,000", t, "2009,012"],
    ["Janet", t, "Janet"],
    ["_2006", t, "_2009"],
  ])("%s", (layout, time, want) => {
    expect(formatTime(time, layout)).toBe(want);
  });

  it("prints Go's zero time", () => {
    expect(GoTime.ZERO.toString()).toBe("0001-01-01 00:00:00 +0000 UTC");
  });
});

describe("parseTime", () => {
  it.each([
    ["2006-01-02", "2021-04-19", 1618790400000000000n],
    ["2006-01-02T15:04:05Z07:00", "2021-04-19T10:00:00+02:00", 1618819200000000000n],
    ["2006-01-02T15:04:05Z07:00", "2021-04-19T10:00:00.5Z", 1618826400500000000n],
    ["Jan _2 2006 3:04PM", "Apr  9 2021 1:30PM", 1617975000000000000n],
    ["02/01/06 15:04 MST", "19/04/21 10:00 UTC", 1618826400000000000n],
    ["2006-01-02 15:04:05.000", "2021-04-19 10:00:00.250", 1618826400250000000n],
  ])("%s %s", (layout, value, ns) => {
    expect(parseTime(layout, value).ns).toBe(ns);
  });

  it.each([
    ["2006-01-02", "2021-4-19"],
    ["2006-01-02", "2021-02-30"],
    ["2006-01-02", "2021-04-19 extra"],
    ["15:04", "25:00"],
  ])("rejects %s %s", (layout, value) => {
    expect(() => parseTime(layout, value)).toThrow(TimeParseError);
  });
});

describe("parseGoDuration", () => {
  it.each([
    ["1h30m", 5400e9],
    ["-1.5s", -1.5e9],
    ["300ms", 300e6],
    ["1us", 1e3],
    ["2µs", 2e3],
    ["0", 0],
    ["1h1m1s1ms", 3661001e6],
  ])("%s", (s, ns) => {
    expect(parseGoDuration(s)).toBe(ns);
  });

  it.each(["", "1", "abc", "1x", ".s", "1.2.3s"])("rejects %j", (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });
});
