import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { IssuedCertificate } from "../registry/index.js";
import type { WriteForwarder } from "./forwarder.js";
import { type Answer, call, type Identity, startTestGateway, type TestGateway } from "./gateway.testlib.js";
import { ServingCertificate } from "./serving-cert.js";

/** A forwarder that takes everything (these tests are about TLS, not ingest). */
const accepting: WriteForwarder = {
  async forward(_tenant, _type, _encoding, _body, admit) {
    admit(1);
    return { status: 204, body: "", headers: {} };
  },
};

describe("gateway TLS: revocation through the CRL", () => {
  let g: TestGateway;
  let good: IssuedCertificate;
  let bad: IssuedCertificate;
  const agents: Agent[] = [];

  const ask = (identity: Identity, agent?: Agent): Promise<Answer> =>
    call(g.port, g.ca.certPem, identity, { path: "/agent/v1/config", ...(agent && { agent }) });
  const keepAlive = () => {
    const a = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(a);
    return a;
  };

  beforeAll(async () => {
    g = await startTestGateway(accepting);
    g.registry.add("rev");
    good = await g.ca.issueClientCertificate("rev");
    bad = await g.ca.issueClientCertificate("rev");
  });
  afterAll(async () => {
    for (const a of agents) a.destroy();
    await g?.stop();
  });

  it("refuses a revoked certificate at the next handshake while open connections of good ones go on", async () => {
    const goodAgent = keepAlive();
    const badAgent = keepAlive();
    expect(await ask(good, goodAgent)).toMatchObject({ status: 200, reused: false });
    expect(await ask(bad, badAgent)).toMatchObject({ status: 200, reused: false });

    g.registry.revoke(bad.serialNumber);
    await g.gateway.tls.reloadRevocations(); // queued behind the rebuild the event started

    expect(await ask(bad)).toHaveProperty("error");
    expect(await ask(good, goodAgent)).toMatchObject({ status: 200, reused: true });
    expect(await ask(good)).toMatchObject({ status: 200, reused: false });
    // A connection opened before the revocation is refused at HTTP level, and closed.
    const late = await ask(bad, badAgent);
    expect(late).toMatchObject({
      status: 403,
      reused: true,
      headers: { connection: "close" },
      text: expect.stringContaining("has been revoked"),
    });
    expect(g.registry.traffic("rev")?.rejected).toEqual({ certificate_revoked: 1 });
  });

  it("coalesces CRL rebuilds asked for while one runs", async () => {
    const spy = vi.spyOn(g.registry, "revokedSerials");
    try {
      await Promise.all([1, 2, 3, 4].map(() => g.gateway.tls.reloadRevocations()));
      expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("gateway TLS: serving certificate renewal", () => {
  let g: TestGateway;
  let client: IssuedCertificate;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    g = await startTestGateway(accepting, { gateway: { serving_cert_lifetime: "1h" } });
    g.registry.add("c");
    client = await g.ca.issueClientCertificate("c");
  });
  afterAll(async () => {
    agent.destroy();
    await g?.stop();
  });

  it("renews when a third of the lifetime is left and serves the new certificate without a restart", async () => {
    const first = g.gateway.tls.serving!.serial;
    const before = await call(g.port, g.ca.certPem, client, { path: "/-/healthy", agent });
    expect(before).toMatchObject({ status: 200, servedSerial: first });

    // Valid 65 minutes (from 5 minutes ago, for clock skew, to an hour from now): due under 21m40s.
    g.clock.advance(35 * 60_000); // 25 minutes left
    expect(await g.gateway.tls.renewServingIfDue()).toBe(false);
    g.clock.advance(5 * 60_000); // 20 minutes left
    expect(await g.gateway.tls.renewServingIfDue()).toBe(true);
    const second = g.gateway.tls.serving!.serial;
    expect(second).not.toBe(first);

    // The open connection keeps its session; a new one gets the new certificate.
    expect(await call(g.port, g.ca.certPem, client, { path: "/-/healthy", agent })).toMatchObject({
      status: 200,
      reused: true,
      servedSerial: first,
    });
    expect(await call(g.port, g.ca.certPem, client, { path: "/-/healthy" })).toMatchObject({
      status: 200,
      servedSerial: second,
    });
    // Persisted for the next start.
    const stored = readFileSync(join(g.env.config.data_dir, "gateway", "tls.crt"), "utf8");
    expect(new X509Certificate(stored).serialNumber.toLowerCase()).toBe(second);
  });
});

describe("ServingCertificate", () => {
  let g: TestGateway;
  afterEach(async () => {
    await g?.stop();
  });

  it("keeps a good certificate across starts and replaces one for other hosts or another CA", async () => {
    g = await startTestGateway(accepting);
    const dir = join(g.env.config.data_dir, "gateway");
    const now = Date.now();
    const same = await new ServingCertificate(dir, g.ca, ["localhost", "127.0.0.1"], 3_600_000).load(now);
    expect(same.serial).toBe(g.gateway.tls.serving!.serial);
    const moreHosts = await new ServingCertificate(dir, g.ca, ["gw.example.org"], 3_600_000).load(now);
    expect(moreHosts.serial).not.toBe(same.serial);
    const other = await startTestGateway(accepting);
    try {
      const otherCa = await new ServingCertificate(dir, other.ca, ["gw.example.org"], 3_600_000).load(now);
      expect(otherCa.serial).not.toBe(moreHosts.serial);
    } finally {
      await other.stop();
    }
  });
});
