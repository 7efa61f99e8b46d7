import { describe, expect, it } from "vitest";
import type { ClusterLimits } from "../registry/index.js";
import { ClusterLimiter, effectiveLimits } from "./cluster-limiter.js";
import { GatewayRefusal } from "./refusal.js";

const T0 = 1_700_000_000_000;
const LIMITS: ClusterLimits = {
  samples_per_second: 10,
  samples_burst: 10,
  log_bytes_per_second: 100,
  log_bytes_burst: 1000,
  max_body_bytes: 0,
};

/** The refusal `fn` throws, or undefined when it admits. */
function refusal(fn: () => void): GatewayRefusal | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof GatewayRefusal) return err;
    throw err;
  }
}

describe("effectiveLimits", () => {
  it("takes the cluster's own fields over the defaults, ignoring undefined ones", () => {
    const patch = { samples_per_second: 5, samples_burst: undefined } as unknown as Partial<ClusterLimits>;
    expect(effectiveLimits(LIMITS, patch)).toEqual({ ...LIMITS, samples_per_second: 5 });
  });
});

describe("ClusterLimiter", () => {
  it("doubles Retry-After with each refusal in a row, resets on an admitted request, stops at the cap", () => {
    const l = new ClusterLimiter(10_000);
    l.takeSamples("a", LIMITS, 10, T0);
    const retries: string[] = [];
    for (let i = 0; i < 6; i++)
      retries.push(refusal(() => l.takeSamples("a", LIMITS, 10, T0))!.headers["retry-after"]!);
    expect(retries).toEqual(["1", "2", "4", "8", "10", "10"]);
    l.takeSamples("a", LIMITS, 10, T0 + 1000); // refilled: admitted, the run ends
    expect(refusal(() => l.takeSamples("a", LIMITS, 10, T0 + 1000))?.headers["retry-after"]).toBe("1");
  });

  it("asks at least for the time until the request fits", () => {
    const l = new ClusterLimiter(60_000);
    const limits = { ...LIMITS, samples_per_second: 1, samples_burst: 5 };
    l.takeSamples("a", limits, 5, T0);
    expect(refusal(() => l.takeSamples("a", limits, 5, T0))?.headers["retry-after"]).toBe("5");
  });

  it("names the limit, the cluster and the commands that change it; status 429", () => {
    const l = new ClusterLimiter(60_000);
    l.takeSamples("edge-1", LIMITS, 10, T0);
    const r = refusal(() => l.takeSamples("edge-1", LIMITS, 3, T0))!;
    expect(r.status).toBe(429);
    expect(r.reason).toBe("rate_limited");
    expect(r.message).toContain("cluster edge-1 is over its limit of 10 samples/s (burst 10)");
    expect(r.message).toContain("mirador cluster update edge-1 --samples-per-second N");
    expect(r.message).toContain("gateway.default_limits.samples_per_second");
  });

  it("admits a request larger than the burst from a full bucket and makes the next ones wait", () => {
    const l = new ClusterLimiter(60_000);
    l.takeSamples("a", LIMITS, 35, T0);
    const r = refusal(() => l.takeSamples("a", LIMITS, 1, T0))!;
    expect(r.headers["retry-after"]).toBe("3"); // 25 in debt, then 1: 2.6 s at 10/s
    expect(r.message).toContain("does not fit");
    const big = refusal(() => l.takeSamples("a", LIMITS, 35, T0 + 2000))!;
    expect(big.message).toContain("larger than the burst");
    expect(refusal(() => l.takeSamples("a", LIMITS, 35, T0 + 3600))).toBeUndefined();
  });

  it("refuses before the body is read when nothing is left, and not otherwise", () => {
    const l = new ClusterLimiter(60_000);
    expect(refusal(() => l.checkSamplesLeft("a", LIMITS, T0))).toBeUndefined();
    l.takeSamples("a", LIMITS, 10, T0);
    expect(refusal(() => l.checkSamplesLeft("a", LIMITS, T0))?.headers["retry-after"]).toBe("1");
    expect(refusal(() => l.checkSamplesLeft("a", LIMITS, T0 + 100))).toBeUndefined();
  });

  it("gives refunded samples back", () => {
    const l = new ClusterLimiter(60_000);
    l.takeSamples("a", LIMITS, 10, T0);
    l.refundSamples("a", 10, T0);
    expect(refusal(() => l.takeSamples("a", LIMITS, 10, T0))).toBeUndefined();
  });

  it("checks and refunds the log-bytes bucket as the samples one", () => {
    const l = new ClusterLimiter(60_000);
    expect(refusal(() => l.checkLogBytesLeft("a", LIMITS, T0))).toBeUndefined();
    l.takeLogBytes("a", LIMITS, 1000, T0);
    const empty = refusal(() => l.checkLogBytesLeft("a", LIMITS, T0))!;
    expect(empty.reason).toBe("log_rate_limited");
    expect(empty.message).toContain("the cluster has used up its budget");
    expect(refusal(() => l.checkSamplesLeft("a", LIMITS, T0))).toBeUndefined();
    l.refundLogBytes("a", 400, T0);
    expect(refusal(() => l.takeLogBytes("a", LIMITS, 400, T0))).toBeUndefined();
    expect(refusal(() => l.takeLogBytes("a", LIMITS, 1, T0))).toBeDefined();
  });

  it("keeps clusters and quantities apart", () => {
    const l = new ClusterLimiter(60_000);
    l.takeSamples("a", LIMITS, 10, T0);
    expect(refusal(() => l.takeSamples("b", LIMITS, 10, T0))).toBeUndefined();
    expect(refusal(() => l.takeLogBytes("a", LIMITS, 1000, T0))).toBeUndefined();
    const logs = refusal(() => l.takeLogBytes("a", LIMITS, 1, T0))!;
    expect(logs.reason).toBe("log_rate_limited");
    expect(logs.message).toContain("100 log bytes/s (burst 1000)");
    expect(logs.message).toContain("--log-bytes-per-second N");
  });

  it("follows a change of the cluster's limits, and 0 lifts the limit", () => {
    const l = new ClusterLimiter(60_000);
    l.takeSamples("a", LIMITS, 10, T0);
    expect(refusal(() => l.takeSamples("a", { ...LIMITS, samples_per_second: 0 }, 1e9, T0))).toBeUndefined();
    const raised = { ...LIMITS, samples_per_second: 1000, samples_burst: 1000 };
    expect(refusal(() => l.takeSamples("a", raised, 1000, T0))).toBeUndefined(); // was unlimited: starts full
  });

  it("starts afresh for a forgotten cluster", () => {
    const l = new ClusterLimiter(60_000);
    l.takeSamples("a", LIMITS, 10, T0);
    l.forget("a");
    expect(refusal(() => l.takeSamples("a", LIMITS, 10, T0))).toBeUndefined();
  });
});
