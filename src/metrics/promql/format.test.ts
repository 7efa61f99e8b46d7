import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { formatDuration, parseDuration as parsePromDuration } from "./duration.js";
import { BadQueryError } from "./errors.js";
import {
  formatTimestampJSON,
  formatValue,
  MAX_TIME_MS,
  MIN_TIME_MS,
  parseDuration,
  parseTime,
  resultToJSON,
} from "./format.js";

describe("formatValue", () => {
  it.each([
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [-1.5, "-1.5"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e-6, "0.000001"],
    [1e-7, "1e-07"],
    [-1.234e-7, "-1.234e-07"],
    [5e-324, "5e-324"],
    [1e20, "100000000000000000000"],
    [123456789012345680000, "123456789012345680000"],
    [1e21, "1e+21"],
    [1.5e21, "1.5e+21"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
  ])("%d → %s", (v, want) => {
    expect(formatValue(v)).toBe(want);
  });
});

describe("formatTimestampJSON", () => {
  it.each([
    [0, "0"],
    [1000, "1"],
    [1500, "1.500"],
    [1001, "1.001"],
    [1010, "1.010"],
    [1_234_567_890_123, "1234567890.123"],
    [-1500, "-1.500"],
    [-500, "-0.500"],
    [-2000, "-2"],
  ])("%d → %s", (ms, want) => {
    expect(formatTimestampJSON(ms)).toBe(want);
  });
});

describe("parseTime", () => {
  it.each([
    ["0", 0],
    ["1", 1000],
    ["1.5", 1500],
    ["-1.5", -1500],
    ["1.0006", 1001],
    ["1.0004", 1000],
    ["1e3", 1_000_000],
    ["1435781451.781", 1_435_781_451_781],
    ["2015-07-01T20:10:51.781Z", 1_435_781_451_781],
    ["2015-07-01T20:10:51Z", 1_435_781_451_000],
    ["2015-07-01T20:10:51.781999999Z", 1_435_781_451_781],
    ["2015-07-01T22:10:51.781+02:00", 1_435_781_451_781],
    ["2015-07-01T18:40:51.781-01:30", 1_435_781_451_781],
  ])("%s → %d", (text, want) => {
    expect(parseTime(text)).toBe(want);
  });

  it("maps Prometheus's min/max time strings to the open bounds", () => {
    expect(parseTime("-292273086-05-16T16:47:06Z")).toBe(MIN_TIME_MS);
    expect(parseTime("292277025-08-18T07:12:54.999999999Z")).toBe(MAX_TIME_MS);
  });

  it.each(["", "abc", "2015-07-01", "2015-13-01T00:00:00Z", "NaN", "Inf"])("rejects %j", (text) => {
    expect(() => parseTime(text)).toThrow(BadQueryError);
  });
});

describe("parseDuration (API)", () => {
  it.each([
    ["0", 0],
    ["1", 1000],
    ["1.5", 1500],
    ["0.001", 1],
    ["0.57", 570],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["10s53ms", 10_053],
  ])("%s → %d", (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each(["", "5x", "1m1h", "-5m", "1e100"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(BadQueryError);
  });
});

describe("Prometheus durations", () => {
  it.each([
    ["0", 0],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1y2w3d4h5m6s7ms", ((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7],
    ["90s", 90_000],
  ])("parses %s", (text, ms) => {
    expect(parsePromDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ["", "empty duration string"],
    ["5", 'not a valid duration string: "5"'],
    ["1m1h", 'not a valid duration string: "1m1h"'],
    ["1m1m", 'not a valid duration string: "1m1m"'],
    ["5x", 'unknown unit "x" in duration "5x"'],
  ])("rejects %j", (text, error) => {
    expect(parsePromDuration(text)).toEqual({ ok: false, error });
  });

  it.each([
    [0, "0s"],
    [1, "1ms"],
    [90_000, "1m30s"],
    [86_400_000, "1d"],
    [14 * 86_400_000, "2w"],
    [15 * 86_400_000, "15d"],
    [365 * 86_400_000, "1y"],
    [366 * 86_400_000, "366d"],
    [3_600_000 + 1, "1h1ms"],
    [-300_000, "-5m"],
  ])("formats %d as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("resultToJSON", () => {
  const l = Labels.fromRecord({ __name__: "up", job: "<api>" });

  it("writes vectors", () => {
    const json = resultToJSON({
      resultType: "vector",
      series: [{ labels: l, t: 1500, v: 1e-7 }],
      warnings: [],
    });
    expect(json).toBe(
      '{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"\\u003capi\\u003e"},"value":[1.500,"1e-07"]}]}',
    );
    expect(JSON.parse(json).result[0].metric.job).toBe("<api>");
  });

  it("writes matrices", () => {
    const json = resultToJSON({
      resultType: "matrix",
      series: [
        {
          labels: Labels.EMPTY,
          ts: Float64Array.of(0, 1000),
          vs: Float64Array.of(Number.NaN, Number.POSITIVE_INFINITY),
        },
      ],
      warnings: ["w"],
    });
    expect(json).toBe('{"resultType":"matrix","result":[{"metric":{},"values":[[0,"NaN"],[1,"+Inf"]]}]}');
  });

  it("writes scalars and strings", () => {
    expect(resultToJSON({ resultType: "scalar", t: 4000, v: 2, warnings: [] })).toBe(
      '{"resultType":"scalar","result":[4,"2"]}',
    );
    expect(resultToJSON({ resultType: "string", t: 4001, v: 'a"b', warnings: [] })).toBe(
      '{"resultType":"string","result":[4.001,"a\\"b"]}',
    );
  });

  it("writes empty results", () => {
    expect(resultToJSON({ resultType: "vector", series: [], warnings: [] })).toBe(
      '{"resultType":"vector","result":[]}',
    );
  });
});
