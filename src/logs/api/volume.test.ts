import { describe, expect, it } from "vitest";
import { Matcher } from "../../model/matcher.js";
import type { LogStreamStats } from "../store/index.js";
import { addVolume, targetLabelsParam, topVolumeKeys, volumeAggregationParam, volumePlan } from "./volume.js";

const stat = (labels: Record<string, string>, bytes: number): LogStreamStats => ({
  labels: Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)),
  chunks: 1,
  entries: 1,
  bytes,
});

const STATS = [
  stat({ job: "foo", env: "prod", team: "alpha" }, 100),
  stat({ job: "foo", env: "dev", team: "alpha" }, 30),
  stat({ job: "bar", env: "prod", team: "beta" }, 50),
  stat({ job: "baz", team: "beta" }, 7),
];

function volumes(plan: ReturnType<typeof volumePlan>, stats = STATS) {
  const m = addVolume(plan, stats);
  return topVolumeKeys(m, 100).map((k) => [m.get(k)!.metric, m.get(k)!.bytes]);
}

describe("log volume", () => {
  it("groups by the labels the selector names by default, largest first", () => {
    const plan = volumePlan([new Matcher("=~", "job", ".+"), new Matcher("=~", "env", ".+")], [], "series");
    expect(volumes(plan)).toEqual([
      [{ env: "prod", job: "foo" }, 100],
      [{ env: "prod", job: "bar" }, 50],
      [{ env: "dev", job: "foo" }, 30],
      // The querier selects; a stream lacking a grouping label keeps the ones it has.
      [{ job: "baz" }, 7],
    ]);
  });

  it("groups by the target labels instead, which the streams must have", () => {
    const plan = volumePlan([new Matcher("=~", "job", ".+")], ["team"], "series");
    expect(plan.matchers.map((m) => `${m.name}${m.type}${m.value}`)).toEqual(["job=~.+", "team=~.+"]);
    expect(volumes(plan)).toEqual([
      [{ team: "alpha" }, 130],
      [{ team: "beta" }, 57],
    ]);
    // A target the selector already names adds no matcher.
    expect(volumePlan([new Matcher("=", "team", "beta")], ["team"], "series").matchers).toHaveLength(1);
  });

  it("sums per label name with aggregateBy=labels", () => {
    const plan = volumePlan([new Matcher("=~", "job", ".+")], ["job", "env"], "labels");
    expect(volumes(plan)).toEqual([
      [{ job: "" }, 187],
      [{ env: "" }, 180],
    ]);
  });

  it("keeps the largest `limit` series, ties by labels", () => {
    const m = addVolume(volumePlan([new Matcher("=~", "job", ".+")], [], "series"), [
      stat({ job: "b" }, 5),
      stat({ job: "a" }, 5),
      stat({ job: "c" }, 9),
    ]);
    expect(topVolumeKeys(m, 2).map((k) => m.get(k)!.metric)).toEqual([{ job: "c" }, { job: "a" }]);
  });

  it("parses aggregateBy and targetLabels", () => {
    expect(volumeAggregationParam(new URLSearchParams())).toBe("series");
    expect(volumeAggregationParam(new URLSearchParams({ aggregateBy: "labels" }))).toBe("labels");
    expect(() => volumeAggregationParam(new URLSearchParams({ aggregateBy: "streams" }))).toThrow(
      /aggregateBy/,
    );
    expect(targetLabelsParam(new URLSearchParams({ targetLabels: " a, b,,a " }))).toEqual(["a", "b"]);
  });
});
