import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { TrafficMeter } from "./traffic.js";

const T0 = 1_700_000_000_000;

describe("TrafficMeter", () => {
  it("reports rates over the last minute, refusals and the last push", () => {
    let now = T0;
    const t = new TrafficMeter(new Registry(), () => now);
    expect(t.status("a")).toBeUndefined();
    t.received("a", "metrics", 6000);
    t.pushed("a", 1200);
    t.pushedLogs("a", 600);
    t.rejected("a", "rate_limited");
    t.rejected("a", "rate_limited");
    t.rejected("a", "flow_disabled");
    now += 5000;
    expect(t.status("a")).toEqual({
      lastPushAt: new Date(T0).toISOString(),
      samplesPerSecond: 20,
      bytesPerSecond: 100,
      logBytesPerSecond: 10,
      rejected: { rate_limited: 2, flow_disabled: 1 },
    });
    now += 120_000;
    expect(t.status("a")).toMatchObject({ samplesPerSecond: 0, bytesPerSecond: 0, logBytesPerSecond: 0 });
  });

  it("has no last push before an accepted write", () => {
    const t = new TrafficMeter(new Registry(), () => T0);
    t.rejected("a", "body_too_large");
    expect(t.status("a")).toEqual({
      samplesPerSecond: 0,
      bytesPerSecond: 0,
      logBytesPerSecond: 0,
      rejected: { body_too_large: 1 },
    });
  });

  it("exports Prometheus series per cluster and removes them when the cluster is forgotten", async () => {
    const metrics = new Registry();
    const t = new TrafficMeter(metrics, () => T0);
    t.received("a", "metrics", 100);
    t.pushed("a", 7);
    t.rejected("a", "rate_limited");
    t.received("b", "metrics", 1);
    const text = await metrics.metrics();
    expect(text).toContain('mirador_gateway_cluster_samples_total{cluster="a"} 7');
    expect(text).toContain('mirador_gateway_cluster_received_bytes_total{cluster="a",flow="metrics"} 100');
    expect(text).toContain('mirador_gateway_cluster_rejected_total{cluster="a",reason="rate_limited"} 1');
    expect(text).toContain(`mirador_gateway_cluster_last_push_timestamp_seconds{cluster="a"} ${T0 / 1000}`);
    t.forget("a");
    const after = await metrics.metrics();
    expect(after).not.toContain('cluster="a"');
    expect(after).toContain('mirador_gateway_cluster_received_bytes_total{cluster="b",flow="metrics"} 1');
    expect(t.status("a")).toBeUndefined();
  });
});
