import { mkdtempSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedImpostor } from "../registry/ca/impostor.testlib.js";
import { CertificateAuthority, type IssuedCertificate } from "../registry/index.js";
import { WRITE_HEADERS, writeBody } from "../test-support/remote-write.js";
import { startTestSeed } from "../test-support/seed.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;
type Identity = { certPem: string; keyPem: string } | undefined;

/** POSTs to the gateway with a client identity; resolves with the status, or the handshake error. */
function post(
  port: number,
  ca: string,
  identity: Identity,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/api/v1/push",
        method: "POST",
        ca,
        ...(identity && { cert: identity.certPem, key: identity.keyPem }),
        headers: { ...WRITE_HEADERS, ...headers },
        agent: false,
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", (err) => resolve({ error: err.message }));
    req.end(body);
  });
}

describe("gateway (mTLS in front of ingest)", () => {
  let s: Running;
  let ca: string;
  let port: number;
  let demo1: IssuedCertificate;
  let unregistered: IssuedCertificate;
  let foreign: IssuedCertificate;
  let selfSigned: { certPem: string; keyPem: string };

  beforeAll(async () => {
    s = await startTestSeed();
    const registry = s.seed.roles.registry!;
    ca = registry.ca.certPem;
    port = s.seed.roles.gateway!.port;
    demo1 = (await registry.registerCluster("demo-1", "demo")).certificate;
    await registry.registerCluster("demo-2", "demo");
    unregistered = await registry.ca.issueClientCertificate("ghost");
    const otherCA = await CertificateAuthority.loadOrCreate(mkdtempSync(join(tmpdir(), "mirador-other-ca-")));
    foreign = await otherCA.issueClientCertificate("demo-1");
    selfSigned = await selfSignedImpostor("demo-1");
  });
  afterAll(() => s.stop());

  const body = () => writeBody([[{ __name__: "gw_test", cluster: "demo-1" }, [[Date.now(), 42]]]]);

  async function series(tenant: string): Promise<Record<string, string>[]> {
    const res = await fetch(`${s.url}/api/v1/series?match[]=gw_test`, {
      headers: { "x-scope-orgid": tenant },
    });
    return ((await res.json()) as { data: Record<string, string>[] }).data;
  }

  it.each([
    ["no client certificate", () => undefined],
    ["a self-signed certificate", () => selfSigned],
    ["a certificate from another CA", () => foreign],
  ])("refuses %s at the handshake", async (_what, identity) => {
    const r = await post(port, ca, identity(), body());
    expect(r).toHaveProperty("error");
  });

  it("refuses a certificate of our CA for a cluster that is not registered", async () => {
    const r = await post(port, ca, unregistered, body());
    expect(r).toEqual({ status: 403, text: expect.stringContaining("not name a cluster registered") });
  });

  it("writes into the certificate's tenant whatever X-Scope-OrgID the client sends", async () => {
    const r = await post(port, ca, demo1, body(), { "x-scope-orgid": "demo-2" });
    expect(r).toEqual({ status: 204, text: "" });
    expect(await series("demo-1")).toEqual([{ __name__: "gw_test", cluster: "demo-1" }]);
    expect(await series("demo-2")).toEqual([]);
  });

  it("passes ingest errors back with their status", async () => {
    const wrongType = await post(port, ca, demo1, body(), { "content-type": "application/json" });
    expect(wrongType).toEqual({ status: 415, text: expect.stringContaining("Content-Type") });
    const corrupt = await post(port, ca, demo1, new Uint8Array([1, 2, 3, 4]));
    expect(corrupt).toMatchObject({ status: 400 });
  });

  it("answers health checks from certificate holders, and keeps /metrics off its port", async () => {
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, path, ca, cert: demo1.certPem, key: demo1.keyPem, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
    expect(await get("/-/healthy")).toBe(200);
    expect(await get("/-/ready")).toBe(200);
    expect(await get("/metrics")).toBe(404);
  });

  it("speaks TLS 1.3 only", async () => {
    const tls12 = await new Promise<string>((resolve) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/v1/push",
          ca,
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

describe("a seed split over two processes (metrics apart from gateway and registry)", () => {
  let metrics: Running;
  let front: Running;

  beforeAll(async () => {
    metrics = await startTestSeed({}, "metrics");
    front = await startTestSeed({ gateway: { forward_url: `${metrics.url}/api/v1/push` } }, "gateway,web");
  });
  afterAll(async () => {
    await front?.stop();
    await metrics?.stop();
  });

  it("runs only the roles asked for, plus their dependencies", () => {
    expect(metrics.seed.roles.ordered.map((r) => r.name)).toEqual(["metrics"]);
    expect(front.seed.roles.ordered.map((r) => r.name)).toEqual(["registry", "gateway", "web"]);
  });

  it("forwards writes over HTTP with the certificate's tenant, and passes refusals back", async () => {
    const registry = front.seed.roles.registry!;
    const { certificate } = await registry.registerCluster("edge-7", "p");
    const port = front.seed.roles.gateway!.port;
    const ok = await post(
      port,
      registry.ca.certPem,
      certificate,
      writeBody([[{ __name__: "split_test", cluster: "edge-7" }, [[Date.now(), 1]]]]),
      { "x-scope-orgid": "someone-else" },
    );
    expect(ok).toEqual({ status: 204, text: "" });
    const res = await fetch(`${metrics.url}/api/v1/series?match[]=split_test`, {
      headers: { "x-scope-orgid": "edge-7" },
    });
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([
      { __name__: "split_test", cluster: "edge-7" },
    ]);
    const refused = await post(port, registry.ca.certPem, certificate, new Uint8Array([1, 2, 3]));
    expect(refused).toMatchObject({ status: 400 });
  });

  it("answers 503 (retry) while the metrics process is unreachable", async () => {
    const lonely = await startTestSeed(
      { gateway: { forward_url: "http://127.0.0.1:9/api/v1/push" } },
      "gateway",
    );
    try {
      const registry = lonely.seed.roles.registry!;
      const { certificate } = await registry.registerCluster("edge-8", "p");
      const r = await post(
        lonely.seed.roles.gateway!.port,
        registry.ca.certPem,
        certificate,
        writeBody([[{ __name__: "x" }, [[1, 1]]]]),
      );
      expect(r).toMatchObject({ status: 503, text: expect.stringContaining("unreachable") });
    } finally {
      await lonely.stop();
    }
  });

  it("refuses to start a gateway with neither a local metrics role nor gateway.forward_url", async () => {
    await expect(startTestSeed({}, "gateway")).rejects.toThrow("gateway.forward_url");
  });
});
