import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedImpostor } from "../registry/ca/impostor.testlib.js";
import { CertificateAuthority, type IssuedCertificate } from "../registry/index.js";
import { WRITE_HEADERS, writeBody } from "../test-support/remote-write.js";
import { eventually, startTestSeed } from "../test-support/seed.js";
import { HttpForwarder, LocalForwarder } from "./forwarder.js";
import {
  type Answer,
  call,
  type Identity,
  startTestGateway,
  type TestGateway,
  tempDir,
} from "./gateway.testlib.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;

/** A remote-write 1.0 body with one series `name` of `n` samples ending now. */
function body(name: string, cluster: string, n = 1): Uint8Array {
  const now = Date.now();
  return writeBody([
    [{ __name__: name, cluster }, Array.from({ length: n }, (_, i) => [now - n + i + 1, i])],
  ]);
}

function push(
  g: TestGateway,
  identity: Identity | undefined,
  data: Uint8Array,
  headers: Record<string, string> = {},
) {
  return call(g.port, g.ca.certPem, identity, {
    method: "POST",
    path: "/api/v1/push",
    headers: { ...WRITE_HEADERS, ...headers },
    body: data,
  });
}

async function series(seedUrl: string, name: string, tenant: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${seedUrl}/api/v1/series?match[]=${name}`, {
    headers: { "x-scope-orgid": tenant },
  });
  return ((await res.json()) as { data: Record<string, string>[] }).data;
}

describe("gateway in front of the in-process ingest", () => {
  let metrics: Running;
  let g: TestGateway;
  let demo1: IssuedCertificate;
  let ghost: IssuedCertificate;
  let leaving: IssuedCertificate;
  let expired: IssuedCertificate;
  let foreign: IssuedCertificate;
  let selfSigned: Identity;
  let otherCa: { dir: string; remove: () => void };

  beforeAll(async () => {
    metrics = await startTestSeed({}, "metrics");
    g = await startTestGateway(new LocalForwarder(metrics.seed.roles.metrics!));
    g.registry.add("demo-1");
    g.registry.add("demo-2");
    g.registry.add("leaving", { state: "removing", deleteAfter: "2030-01-01T00:00:00.000Z" });
    demo1 = await g.ca.issueClientCertificate("demo-1");
    leaving = await g.ca.issueClientCertificate("leaving");
    ghost = await g.ca.issueClientCertificate("ghost");
    expired = await g.ca.issueClientCertificate("demo-1", { lifetimeMs: 1 });
    otherCa = tempDir("mirador-other-ca-");
    foreign = await (await CertificateAuthority.loadOrCreate(otherCa.dir)).issueClientCertificate("demo-1");
    selfSigned = await selfSignedImpostor("demo-1");
    await new Promise((r) => setTimeout(r, 1100)); // `expired` is past its notAfter (second precision)
  });
  afterAll(async () => {
    await g?.stop();
    await metrics?.stop();
    otherCa?.remove();
  });

  it.each([
    ["no client certificate", () => undefined],
    ["a self-signed certificate", () => selfSigned],
    ["a certificate from another CA", () => foreign],
    ["an expired certificate", () => expired],
  ])("refuses %s at the handshake, and counts it", async (_what, identity) => {
    const before = await handshakeFailures(g);
    expect(await push(g, identity(), body("gw_test", "demo-1"))).toHaveProperty("error");
    expect(await handshakeFailures(g)).toBeGreaterThan(before);
  });

  it("refuses a certificate of our CA for a cluster that is not registered (403)", async () => {
    const r = await push(g, ghost, body("gw_test", "ghost"));
    expect(r).toMatchObject({ status: 403, text: expect.stringContaining("not name a cluster registered") });
  });

  it("refuses a cluster that is being removed (403)", async () => {
    const r = await push(g, leaving, body("gw_test", "leaving"));
    expect(r).toMatchObject({
      status: 403,
      text: expect.stringContaining("cluster leaving is being removed"),
    });
    expect(g.registry.traffic("leaving")?.rejected).toEqual({ cluster_removing: 1 });
  });

  it("writes into the certificate's tenant whatever X-Scope-OrgID the client sends, and touches the cluster", async () => {
    const r = await push(g, demo1, body("gw_test", "demo-1"), { "x-scope-orgid": "demo-2" });
    expect(r).toMatchObject({ status: 204, text: "" });
    expect(await series(metrics.url, "gw_test", "demo-1")).toEqual([
      { __name__: "gw_test", cluster: "demo-1" },
    ]);
    expect(await series(metrics.url, "gw_test", "demo-2")).toEqual([]);
    expect(g.registry.touched).toContain("demo-1");
    expect(g.registry.touched).not.toContain("ghost");
  });

  it("passes ingest errors back with their status", async () => {
    const wrongType = await push(g, demo1, body("gw_test", "demo-1"), { "content-type": "application/json" });
    expect(wrongType).toMatchObject({ status: 415, text: expect.stringContaining("Content-Type") });
    const corrupt = await push(g, demo1, new Uint8Array([1, 2, 3, 4]));
    expect(corrupt).toMatchObject({ status: 400 });
    expect(g.registry.traffic("demo-1")?.rejected).toMatchObject({ ingest_refused: 2 });
  });

  it("answers health checks from certificate holders, and keeps /metrics off its port", async () => {
    const get = async (path: string) =>
      ((await call(g.port, g.ca.certPem, demo1, { path })) as { status: number }).status;
    expect(await get("/-/healthy")).toBe(200);
    expect(await get("/-/ready")).toBe(200);
    expect(await get("/metrics")).toBe(404);
  });

  it("speaks TLS 1.3 only", async () => {
    const { request } = await import("node:https");
    const tls12 = await new Promise<string>((resolve) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: g.port,
          path: "/-/healthy",
          ca: g.ca.certPem,
          cert: demo1.certPem,
          key: demo1.keyPem,
          maxVersion: "TLSv1.2",
          agent: false,
        },
        () => resolve("connected"),
      );
      req.on("error", (err) => resolve(err.message));
      req.end();
    });
    expect(tls12).not.toBe("connected");
  });
});

describe("gateway forwarding over HTTP to a metrics process", () => {
  let metrics: Running;
  let g: TestGateway;
  let edge: IssuedCertificate;

  beforeAll(async () => {
    metrics = await startTestSeed({}, "metrics");
    g = await startTestGateway(new HttpForwarder(`${metrics.url}/api/v1/push`));
    g.registry.add("edge-7", { limits: { samples_per_second: 1, samples_burst: 5 } });
    edge = await g.ca.issueClientCertificate("edge-7");
  });
  afterAll(async () => {
    await g?.stop();
    await metrics?.stop();
  });

  it("forwards with the certificate's tenant, and passes refusals back", async () => {
    const ok = await push(g, edge, body("split_test", "edge-7", 2), { "x-scope-orgid": "someone-else" });
    expect(ok).toMatchObject({ status: 204, text: "" });
    expect(await series(metrics.url, "split_test", "edge-7")).toEqual([
      { __name__: "split_test", cluster: "edge-7" },
    ]);
    expect(await push(g, edge, new Uint8Array([1, 2, 3]))).toMatchObject({ status: 400 });
  });

  it("counts the samples of the body itself to apply the cluster's limit", async () => {
    // 2 of the burst of 5 were taken above: 4 more do not fit.
    const r = await push(g, edge, body("split_test", "edge-7", 4));
    expect(r).toMatchObject({ status: 429, text: expect.stringContaining("this request of 4 samples") });
    expect(g.registry.traffic("edge-7")).toMatchObject({
      samplesPerSecond: 2 / 60,
      rejected: { rate_limited: 1 },
    });
  });

  it("answers 503 (retry) while the metrics process is unreachable", async () => {
    const lonely = await startTestGateway(new HttpForwarder("http://127.0.0.1:9/api/v1/push"));
    try {
      lonely.registry.add("edge-8");
      const r = await push(lonely, await lonely.ca.issueClientCertificate("edge-8"), body("x", "edge-8"));
      expect(r).toMatchObject({ status: 503, text: expect.stringContaining("unreachable") });
    } finally {
      await lonely.stop();
    }
  });
});

describe("the gateway role in a seed", () => {
  it("refuses to start a gateway with neither a local metrics role nor gateway.forward_url", async () => {
    await expect(startTestSeed({}, "gateway")).rejects.toThrow("gateway.forward_url");
  });

  it("takes writes from a cluster registered through the registry service, and reports its traffic", async () => {
    const s = await startTestSeed();
    try {
      const registry = s.seed.roles.registry!;
      const service = registry.service;
      await service.createProject("demo");
      const { issued } = await service.addCluster("demo-1", { project: "demo" });
      const port = s.seed.roles.gateway!.port;
      const r: Answer = await call(port, registry.ca.certPem, issued, {
        method: "POST",
        path: "/api/v1/push",
        headers: { ...WRITE_HEADERS, "x-scope-orgid": "other" },
        body: body("seed_test", "demo-1"),
      });
      expect(r).toMatchObject({ status: 204 });
      expect(await series(s.url, "seed_test", "demo-1")).toEqual([
        { __name__: "seed_test", cluster: "demo-1" },
      ]);
      expect(await service.getStatus("demo-1")).toMatchObject({ traffic: { samplesPerSecond: 1 / 60 } });

      const again = () =>
        call(port, registry.ca.certPem, issued, {
          method: "POST",
          path: "/api/v1/push",
          headers: WRITE_HEADERS,
          body: body("seed_test", "demo-1"),
        });
      await service.setFlows("demo-1", { metrics: false });
      expect(await again()).toMatchObject({ status: 423, headers: { "mirador-flow": "metrics" } });
      await service.setFlows("demo-1", { metrics: true });
      expect(await again()).toMatchObject({ status: 204 });
      await service.revokeCertificates("demo-1");
      await eventually(
        async () => ("error" in (await again()) ? true : undefined),
        10_000,
        "a refused handshake",
      );
    } finally {
      await s.stop();
    }
  });
});

async function handshakeFailures(g: TestGateway): Promise<number> {
  const m = await g.env.metrics.getSingleMetric("mirador_gateway_tls_handshake_failures_total")?.get();
  return m?.values[0]?.value ?? 0;
}
