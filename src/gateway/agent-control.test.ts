import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../registry/index.js";
import { eventually } from "../test-support/seed.js";
import { RENEWAL_INTERVAL_MS } from "./agent-control.js";
import type { WriteForwarder } from "./forwarder.js";
import {
  type Answer,
  type CallOptions,
  call,
  certificateRequest,
  type Identity,
  startTestGateway,
  type TestGateway,
} from "./gateway.testlib.js";

const nothing: WriteForwarder = {
  forward: async () => ({ status: 204, body: "", headers: {} }),
};

const HEARTBEAT = {
  applied_config_version: 1,
  agent_version: "0.1.0",
  buffered_samples: 1200,
  buffered_bytes: 48213,
  errors: [],
  certificate_serial: "4F01",
};

describe("agent control endpoints", () => {
  let g: TestGateway;
  let cert: IssuedCertificate;
  const ask = (opts: CallOptions, identity: Identity = cert): Promise<Answer> =>
    call(g.port, g.ca.certPem, identity, opts);
  const json = (a: Answer) => JSON.parse((a as { text: string }).text) as Record<string, unknown>;

  beforeAll(async () => {
    g = await startTestGateway(nothing);
    g.registry.add("prod-eu-1");
    g.registry.setConfig("prod-eu-1", {
      scrape_interval: "15s",
      external_labels: { team: "payments" },
      scrape_configs: [{ job_name: "app", static_configs: [{ targets: ["app:8080"] }] }],
    });
    cert = await g.ca.issueClientCertificate("prod-eu-1");
  });
  afterAll(async () => {
    await g?.stop();
  });

  describe("GET /agent/v1/config", () => {
    it("answers the configuration with its version as ETag, in the protocol's snake_case", async () => {
      const r = await ask({ path: "/agent/v1/config" });
      expect(r).toMatchObject({ status: 200, headers: { etag: '"2"' } });
      expect(json(r)).toEqual({
        version: 2,
        cluster: "prod-eu-1",
        flows: { metrics: true, logs: true },
        certificate_generation: 1,
        config: {
          scrape_interval: "15s",
          external_labels: { team: "payments" },
          scrape_configs: [{ job_name: "app", static_configs: [{ targets: ["app:8080"] }] }],
        },
      });
      expect(g.registry.touched).toContain("prod-eu-1");
    });

    it("answers 304 at once when the agent has the version and asks not to wait", async () => {
      const r = await ask({ path: "/agent/v1/config", headers: { "if-none-match": '"2"' } });
      expect(r).toMatchObject({ status: 304, headers: { etag: '"2"' }, text: "" });
    });

    it("answers 200 at once for an older version", async () => {
      const r = await ask({ path: "/agent/v1/config?wait=30", headers: { "if-none-match": 'W/"1"' } });
      expect(r).toMatchObject({ status: 200, headers: { etag: '"2"' } });
    });

    it("holds a long poll until the configuration changes, then answers the new version", async () => {
      const polling = ask({ path: "/agent/v1/config?wait=30", headers: { "if-none-match": '"2"' } });
      await eventually(async () => (g.registry.waiting === 1 ? true : undefined), 5000, "a waiting poll");
      g.registry.setConfig("prod-eu-1", { scrape_configs: [] });
      const r = await polling;
      expect(r).toMatchObject({ status: 200, headers: { etag: '"3"' } });
      expect(json(r)).toMatchObject({ version: 3, config: { scrape_configs: [] } });
    });

    it("answers 304 when nothing changed during the wait", async () => {
      const r = await ask({ path: "/agent/v1/config?wait=0.2", headers: { "if-none-match": '"3"' } });
      expect(r).toMatchObject({ status: 304 });
    });

    it("ends the wait when the client goes away", async () => {
      const ac = new AbortController();
      const polling = ask({
        path: "/agent/v1/config?wait=60",
        headers: { "if-none-match": '"3"' },
        signal: ac.signal,
      });
      await eventually(async () => (g.registry.waiting === 1 ? true : undefined), 5000, "a waiting poll");
      ac.abort();
      expect(await polling).toHaveProperty("error");
      await eventually(async () => (g.registry.waiting === 0 ? true : undefined), 5000, "the poll to end");
    });

    it.each(["-1", "61", "soon"])("refuses wait=%s with 400", async (wait) => {
      const r = await ask({ path: `/agent/v1/config?wait=${wait}` });
      expect(r).toMatchObject({ status: 400, text: expect.stringContaining("from 0 to 60") });
    });
  });

  describe("POST /agent/v1/heartbeat", () => {
    const beat = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
      ask({
        method: "POST",
        path: "/agent/v1/heartbeat",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
      });

    it("records the report with the certificate's cluster and the time received; 204", async () => {
      expect(await beat({ ...HEARTBEAT, cluster: "someone-else", newer_field: 1 })).toMatchObject({
        status: 204,
      });
      expect(g.registry.heartbeats.at(-1)).toEqual({
        cluster: "prod-eu-1",
        receivedAt: new Date(g.clock.ms).toISOString(),
        appliedConfigVersion: 1,
        agentVersion: "0.1.0",
        bufferedSamples: 1200,
        bufferedBytes: 48213,
        errors: [],
        certificateSerial: "4f01",
      });
    });

    it("keeps at most 20 errors of 1000 characters", async () => {
      const errors = Array.from({ length: 30 }, (_, i) => `${i} ${"x".repeat(2000)}`);
      expect(await beat({ ...HEARTBEAT, errors })).toMatchObject({ status: 204 });
      const kept = g.registry.heartbeats.at(-1)!.errors;
      expect(kept).toHaveLength(20);
      expect(kept[0]).toHaveLength(1000);
    });

    it.each([
      ["not JSON", "{", "not JSON"],
      ["a negative count", { ...HEARTBEAT, buffered_samples: -1 }, "buffered_samples"],
      ["a missing field", { ...HEARTBEAT, agent_version: undefined }, "agent_version"],
      ["a serial that is not hex", { ...HEARTBEAT, certificate_serial: "xyz" }, "certificate_serial"],
    ])("refuses %s with 400", async (_what, body, named) => {
      expect(await beat(body)).toMatchObject({ status: 400, text: expect.stringContaining(named) });
    });

    it("refuses another content type with 415 and a large body with 413", async () => {
      expect(await beat(HEARTBEAT, { "content-type": "text/plain" })).toMatchObject({ status: 415 });
      const big = { ...HEARTBEAT, errors: ["x".repeat(70_000)] };
      expect(await beat(big)).toMatchObject({ status: 413 });
    });
  });

  describe("POST /agent/v1/certificate", () => {
    const renew = (body: string, identity: Identity = cert) =>
      ask(
        {
          method: "POST",
          path: "/agent/v1/certificate",
          headers: { "content-type": "application/pkcs10" },
          body,
        },
        identity,
      );

    it("signs the request for the connection's cluster, at most once per 10 s", async () => {
      const { csrPem, keyPem } = await certificateRequest("CN=someone-else,O=mirador-cluster");
      const r = await renew(csrPem);
      expect(r).toMatchObject({ status: 200 });
      const answer = json(r) as {
        certificate: string;
        ca: string;
        not_after: string;
        certificate_generation: number;
      };
      expect(answer.ca).toBe(g.ca.certPem);
      expect(answer.certificate_generation).toBe(1);
      const x = new X509Certificate(answer.certificate);
      expect(x.subject).toContain("CN=prod-eu-1");
      expect(new Date(answer.not_after).getTime()).toBe(Date.parse(x.validTo));

      // The new certificate and key work at once.
      const renewed = { certPem: answer.certificate, keyPem };
      expect(await ask({ path: "/agent/v1/config" }, renewed)).toMatchObject({ status: 200 });

      const again = await renew((await certificateRequest()).csrPem, renewed);
      expect(again).toMatchObject({ status: 429, headers: { "retry-after": "10" } });
      g.clock.advance(RENEWAL_INTERVAL_MS);
      expect(await renew((await certificateRequest()).csrPem, renewed)).toMatchObject({ status: 200 });
      g.clock.advance(RENEWAL_INTERVAL_MS);
    });

    it("refuses a body that is no certificate request with 400 and a large one with 413", async () => {
      expect(await renew("hello")).toMatchObject({ status: 400, text: expect.stringContaining("PKCS#10") });
      g.clock.advance(RENEWAL_INTERVAL_MS);
      const broken = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
      expect(await renew(broken)).toMatchObject({ status: 400 });
      g.clock.advance(RENEWAL_INTERVAL_MS);
      expect(await renew("x".repeat(17 * 1024))).toMatchObject({ status: 413 });
    });
  });
});
