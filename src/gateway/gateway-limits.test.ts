import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../registry/index.js";
import { WRITE_HEADERS, writeBody } from "../test-support/remote-write.js";
import { startTestSeed } from "../test-support/seed.js";
import { LocalForwarder } from "./forwarder.js";
import { type Answer, call, type Identity, startTestGateway, type TestGateway } from "./gateway.testlib.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;

let sampleClock = Date.now() - 3_600_000;

/** A remote-write 1.0 body of `n` samples of one series, each later than any sent before. */
function samples(n: number, cluster = "lim"): Uint8Array {
  const points: [number, number][] = [];
  for (let i = 0; i < n; i++) points.push([++sampleClock, i]);
  return writeBody([[{ __name__: "limit_test", cluster }, points]]);
}

describe("per-cluster limits and flows at the gateway", () => {
  let metrics: Running;
  let g: TestGateway;
  let cert: IssuedCertificate;

  const push = (data: Uint8Array, identity: Identity = cert, headers: Record<string, string> = {}) =>
    call(g.port, g.ca.certPem, identity, {
      method: "POST",
      path: "/api/v1/push",
      headers: { ...WRITE_HEADERS, ...headers },
      body: data,
    });
  const status = (a: Answer) => ("status" in a ? a.status : a.error);
  const retryAfter = (a: Answer) => ("status" in a ? a.headers["retry-after"] : undefined);

  beforeAll(async () => {
    metrics = await startTestSeed({}, "metrics");
    g = await startTestGateway(new LocalForwarder(metrics.seed.roles.metrics!), {
      gateway: { max_retry_after: "5s" },
    });
    g.registry.add("lim", { limits: { samples_per_second: 10, samples_burst: 10 } });
    cert = await g.ca.issueClientCertificate("lim");
  });
  afterAll(async () => {
    await g?.stop();
    await metrics?.stop();
  });

  it("answers 429 with a Retry-After that grows while refused, then accepts once the bucket refilled", async () => {
    expect(status(await push(samples(10)))).toBe(204);
    const refused = [
      await push(samples(10)),
      await push(samples(10)),
      await push(samples(10)),
      await push(samples(10)),
    ];
    expect(refused.map(status)).toEqual([429, 429, 429, 429]);
    expect(refused.map(retryAfter)).toEqual(["1", "2", "4", "5"]); // capped by gateway.max_retry_after
    expect(refused[0]).toMatchObject({
      text: expect.stringContaining("cluster lim is over its limit of 10 samples/s (burst 10)"),
    });
    expect(refused[0]).toMatchObject({
      text: expect.stringContaining("mirador cluster update lim --samples-per-second N"),
    });
    g.clock.advance(1000);
    expect(status(await push(samples(10)))).toBe(204);
    expect(retryAfter(await push(samples(1)))).toBe("1"); // an accepted request ended the run
    g.clock.advance(1000);
  });

  it("counts the samples after decoding: a request that does not fit is refused whole, nothing kept", async () => {
    expect(status(await push(samples(5)))).toBe(204); // 5 samples left in the bucket
    const r = await push(samples(6));
    expect(r).toMatchObject({ status: 429, text: expect.stringContaining("this request of 6 samples") });
    expect(status(await push(samples(5)))).toBe(204);
    g.clock.advance(1000);
  });

  it("admits a request larger than the burst from a full bucket, then makes the cluster wait", async () => {
    expect(status(await push(samples(25)))).toBe(204);
    const r = await push(samples(1));
    expect(retryAfter(r)).toBe("2"); // 15 in debt, then 1: 1.6 s at 10/s
    g.clock.advance(1600);
    expect(status(await push(samples(1)))).toBe(204);
    g.clock.advance(1000);
  });

  it("follows limits changed in the registry", async () => {
    g.registry.update("lim", { limits: { samples_per_second: 0 } }); // unlimited
    for (let i = 0; i < 3; i++) expect(status(await push(samples(50)))).toBe(204);
    g.registry.update("lim", { limits: { samples_per_second: 10, samples_burst: 10 } });
    g.clock.advance(1000);
  });

  it("refuses a body over the cluster's max_body_bytes with 413 before reading it, naming the setting", async () => {
    g.registry.update("lim", { limits: { samples_per_second: 10, samples_burst: 10, max_body_bytes: 100 } });
    try {
      const big = samples(10);
      expect(big.length).toBeGreaterThan(100);
      const r = await push(big);
      expect(r).toMatchObject({
        status: 413,
        text: expect.stringContaining("mirador cluster update lim --max-body-bytes N"),
      });
      expect(r).toMatchObject({ headers: { connection: "close" } });
      expect(status(await push(samples(1)))).toBe(204); // the refused body took nothing from the bucket
    } finally {
      g.registry.update("lim", { limits: { samples_per_second: 10, samples_burst: 10 } });
      g.clock.advance(1000);
    }
  });

  it("answers 423 with Mirador-Flow while the metrics flow is off, and 2xx once it is on again", async () => {
    g.registry.update("lim", { metricsEnabled: false });
    const r = await push(samples(1));
    expect(r).toMatchObject({
      status: 423,
      headers: { "mirador-flow": "metrics" },
      text: expect.stringContaining("metrics are switched off for cluster lim"),
    });
    g.registry.update("lim", { metricsEnabled: true });
    expect(status(await push(samples(1)))).toBe(204);
  });

  it("reports the cluster's traffic to the registry and as Prometheus metrics", async () => {
    const t = g.registry.traffic("lim")!;
    expect(t.rejected).toEqual({ rate_limited: 7, body_too_large: 1, flow_disabled: 1 });
    // Accepted: 10 + 10, 5 + 5, 25 + 1, 150, 1, 1 samples, all within the last minute of the fake clock.
    expect(t.samplesPerSecond).toBeCloseTo(208 / 60);
    expect(t.bytesPerSecond).toBeGreaterThan(0);
    expect(t.lastPushAt).toBe(new Date(g.clock.ms).toISOString());
    const text = await g.env.metrics.metrics();
    expect(text).toContain('mirador_gateway_cluster_samples_total{cluster="lim"} 208');
    expect(text).toContain('mirador_gateway_cluster_rejected_total{cluster="lim",reason="rate_limited"} 7');
    expect(text).toContain('mirador_gateway_cluster_rejected_total{cluster="lim",reason="flow_disabled"} 1');
    expect(text).toMatch(/mirador_gateway_cluster_received_bytes_total\{cluster="lim",flow="metrics"\} \d+/);
    expect(text).toContain(
      `mirador_gateway_cluster_last_push_timestamp_seconds{cluster="lim"} ${g.clock.ms / 1000}`,
    );
  });

  it("forgets a cluster removed from the registry", async () => {
    g.registry.add("gone");
    const gone = await g.ca.issueClientCertificate("gone");
    expect(status(await push(samples(1, "gone"), gone))).toBe(204);
    g.registry.delete("gone");
    expect(g.registry.traffic("gone")).toBeUndefined();
    expect(await g.env.metrics.metrics()).not.toContain('cluster="gone"');
    expect(status(await push(samples(1, "gone"), gone))).toBe(403);
  });
});
