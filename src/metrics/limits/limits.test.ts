import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import {
  DEFAULT_LIMITS,
  IngestRateLimiter,
  labelLimitProblem,
  SeriesLimiter,
  TenantLimits,
} from "./index.js";

const limits = new TenantLimits(
  {
    ...DEFAULT_LIMITS,
    max_label_names_per_series: 4,
    max_label_name_length: 8,
    max_label_value_length: 10,
    max_active_series: 3,
    max_series_per_metric: 2,
    ingestion_rate: 100,
    ingestion_burst_size: 200,
  },
  { big: { max_active_series: 0, ingestion_rate: 0 }, small: { max_label_value_length: 3 } },
);
const L = (r: Record<string, string>) => Labels.fromRecord(r);

describe("label limits", () => {
  it.each([
    [{ __name__: "m", a: "1" }, "t", undefined],
    [
      { __name__: "m", a: "1", b: "2", c: "3", d: "4" },
      "t",
      "5 labels, more than the limit of 4; raise metrics.limits.max_label_names_per_series",
    ],
    [
      { __name__: "m", very_long_name: "1" },
      "t",
      "longer than the limit of 8 bytes; raise metrics.limits.max_label_name_length",
    ],
    [{ __name__: "m", a: "0123456789x" }, "t", "longer than the limit of 10 bytes"],
    [{ __name__: "m", a: "ééééé" }, "t", undefined],
    [{ __name__: "m", a: "éééééé" }, "t", "longer than the limit of 10 bytes"],
    [{ __name__: "m", a: "abcd" }, "small", "raise metrics.tenant_limits.small.max_label_value_length"],
  ])("%j in %s", (labels, tenant, problem) => {
    const p = labelLimitProblem(L(labels), tenant, limits);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });
});

describe("SeriesLimiter", () => {
  it("refuses past the per-metric and total limits, and admits again after a release", () => {
    const s = new SeriesLimiter("t", limits);
    expect(s.admit(L({ __name__: "a", i: "1" }))).toBeUndefined();
    expect(s.admit(L({ __name__: "a", i: "2" }))).toBeUndefined();
    expect(s.admit(L({ __name__: "a", i: "3" }))).toContain("metric a has reached the limit of 2 series");
    expect(s.admit(L({ __name__: "b" }))).toBeUndefined();
    expect(s.admit(L({ __name__: "c" }))).toContain("limit of 3 active series; new series are refused");
    s.release(L({ __name__: "b" }));
    expect(s.admit(L({ __name__: "c" }))).toBeUndefined();
    expect(s.total).toBe(3);
  });

  it("has no limit where the override sets 0", () => {
    const s = new SeriesLimiter("big", limits);
    for (let i = 0; i < 10; i++) expect(s.admit(L({ __name__: `m${i}` }))).toBeUndefined();
  });
});

describe("IngestRateLimiter", () => {
  it("lets a burst through, then refuses with a Retry-After until tokens refill", () => {
    const r = new IngestRateLimiter(limits);
    expect(r.take("t", 150, 0)).toBeUndefined();
    const refused = r.take("t", 100, 0);
    expect(refused).toMatchObject({ never: false, retryAfterSeconds: 1 });
    expect(refused?.message).toContain("raise metrics.limits.ingestion_rate");
    expect(r.take("t", 100, 500)).toBeUndefined();
    expect(r.take("t", 10, 500)).toBeDefined();
  });

  it("refuses a request larger than the burst for good, and keeps tenants apart", () => {
    const r = new IngestRateLimiter(limits);
    expect(r.take("t", 201, 0)).toMatchObject({ never: true });
    expect(r.take("t", 200, 0)).toBeUndefined();
    expect(r.take("other", 200, 0)).toBeUndefined();
    expect(r.take("big", 1e9, 0)).toBeUndefined();
  });
});

describe("TenantLimits.strictest", () => {
  const reads = new TenantLimits(
    { ...DEFAULT_LIMITS, max_series_per_query: 100 },
    { narrow: { max_series_per_query: 10 }, open: { max_series_per_query: 0 } },
  );

  it.each([
    [["t"], 100, "metrics.limits.max_series_per_query (or metrics.tenant_limits.t.max_series_per_query)"],
    [["t", "narrow"], 10, "metrics.tenant_limits.narrow.max_series_per_query"],
    [
      ["open", "t"],
      100,
      "metrics.limits.max_series_per_query (or metrics.tenant_limits.t.max_series_per_query)",
    ],
    [["open"], 0, "metrics.tenant_limits.open.max_series_per_query"],
  ])("of %j is %i, set by %s", (tenants, value, setting) => {
    expect(reads.strictest(tenants, "max_series_per_query")).toEqual({ value, setting });
  });
});
