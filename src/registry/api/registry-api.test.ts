import { request } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSeed } from "../../test-support/seed.js";
import type { RegistryService } from "../model.js";
import { type ApiClient, apiClient, type ServedApi, serveRegistryApi } from "./api-harness.testlib.js";
import { FakeRegistry } from "./fake-registry.testlib.js";
import { OpenApiChecker } from "./openapi.testlib.js";

/** A registry behind the API: the in-memory fake, or the real one in a seed over SQLite. */
interface Backend {
  readonly name: string;
  start(): Promise<{ service: RegistryService; caPem: () => string; stop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "in-memory fake",
    start: async () => {
      const fake = new FakeRegistry();
      return { service: fake, caPem: () => fake.caPem, stop: async () => {} };
    },
  },
  {
    name: "real Registry of a seed (SQLite)",
    start: async () => {
      const s = await startTestSeed({}, "registry");
      const role = s.seed.roles.registry!;
      return { service: role.service, caPem: () => role.ca.certPem, stop: s.stop };
    },
  },
];

const MAX_BODY = 64 * 1024;
const GATEWAY = "https://seed.example:9701";

/** The first address of this machine outside loopback, to call the API from "another host". */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  return undefined;
}

describe.each(backends)("registry API over the $name", (backend) => {
  const checker = new OpenApiChecker();
  let service: RegistryService;
  let served: ServedApi;
  let stopBackend: () => Promise<void>;
  let api: ApiClient;
  let caPem: () => string;

  beforeAll(async () => {
    const b = await backend.start();
    service = b.service;
    caPem = b.caPem;
    stopBackend = b.stop;
    served = await serveRegistryApi(service, { caPem, maxBodyBytes: MAX_BODY, gatewayUrl: GATEWAY });
    api = apiClient(served.url, checker);
  });
  afterAll(async () => {
    await served?.stop();
    await stopBackend?.();
  });

  describe("projects", () => {
    it("creates, lists, shows and refuses a second one of the same name", async () => {
      const created = await api("POST", "/projects", {
        json: { name: "payments", description: "Payments team" },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: "payments", description: "Payments team" });
      expect((await api("POST", "/projects", { json: { name: "search" } })).status).toBe(201);
      const list = await api("GET", "/projects");
      expect(list.body.projects.map((p: { name: string }) => p.name)).toEqual(["payments", "search"]);
      expect((await api("GET", "/projects/payments")).body.description).toBe("Payments team");
      const again = await api("POST", "/projects", { json: { name: "payments" } });
      expect(again.status).toBe(409);
      expect(again.body.errorType).toBe("conflict");
    });

    it.each([
      [{}, "name:"],
      [{ name: "x", colour: "red" }, 'unknown field "colour"'],
      [{ name: 7 }, "name:"],
    ])("refuses the body %j naming the field", async (json, message) => {
      const r = await api("POST", "/projects", { json });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(message);
    });

    it("refuses a name the registry does not accept", async () => {
      const r = await api("POST", "/projects", { json: { name: "no spaces" } });
      expect(r.status).toBe(400);
      expect(r.body.errorType).toBe("invalid");
    });

    it("answers 404 for an unknown project and deletes an empty one", async () => {
      expect((await api("GET", "/projects/nope")).status).toBe(404);
      expect((await api("DELETE", "/projects/nope")).status).toBe(404);
      const r = await api("DELETE", "/projects/search");
      expect(r.status).toBe(204);
      expect(r.text).toBe("");
      expect((await api("GET", "/projects/search")).status).toBe(404);
    });
  });

  describe("clusters", () => {
    it("registers a cluster and hands out its certificate, key and CA once", async () => {
      const r = await api("POST", "/clusters", {
        json: {
          name: "prod-eu-1",
          project: "payments",
          labels: { env: "prod", region: "eu" },
          limits: { samples_per_second: 1000, samples_burst: 5000 },
        },
      });
      expect(r.status).toBe(201);
      expect(r.body.cluster).toMatchObject({
        name: "prod-eu-1",
        project: "payments",
        labels: { env: "prod", region: "eu" },
        limits: { samples_per_second: 1000, samples_burst: 5000 },
        metrics_enabled: true,
        logs_enabled: true,
        state: "active",
        last_seen_at: null,
      });
      expect(r.body.bundle.key_pem).toContain("PRIVATE KEY");
      expect(r.body.bundle.cert_pem).toContain("BEGIN CERTIFICATE");
      expect(r.body.bundle.ca_pem).toBe(caPem());
      expect(r.body.bundle.certificate).toMatchObject({
        cluster: "prod-eu-1",
        kind: "bundle",
        revoked_at: null,
      });
      expect(r.body.bundle.gateway_url).toBe(GATEWAY);
      const shown = await api("GET", "/clusters/prod-eu-1");
      expect(shown.text).not.toContain("PRIVATE KEY");
    });

    it("says so when the project does not exist or the cluster does", async () => {
      const noProject = await api("POST", "/clusters", { json: { name: "lost", project: "nope" } });
      expect(noProject.status).toBe(404);
      expect(noProject.body.error).toContain("nope");
      const twice = await api("POST", "/clusters", { json: { name: "prod-eu-1", project: "payments" } });
      expect(twice.status).toBe(409);
    });

    it.each([
      [{ name: "c1" }, "project:"],
      [{ name: "c1", project: "payments", limits: { samples_burst: 1.5 } }, "limits.samples_burst:"],
      [{ name: "c1", project: "payments", limits: { samples_per_second: -1 } }, "limits.samples_per_second:"],
      [
        { name: "c1", project: "payments", limits: { sample_burst: 1 } },
        'limits: unknown field "sample_burst"',
      ],
      [{ name: "c1", project: "payments", labels: { env: 1 } }, "labels.env:"],
      [{ name: "c1", project: "payments", metrics_enabled: "yes" }, "metrics_enabled:"],
    ])("refuses %j naming the field", async (json, message) => {
      const r = await api("POST", "/clusters", { json });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(message);
    });

    it("lists clusters, by project too", async () => {
      await api("POST", "/projects", { json: { name: "search" } });
      await api("POST", "/clusters", { json: { name: "search-1", project: "search" } });
      const all = await api("GET", "/clusters");
      expect(all.body.clusters.map((c: { name: string }) => c.name)).toEqual(["prod-eu-1", "search-1"]);
      const some = await api("GET", "/clusters?project=search");
      expect(some.body.clusters.map((c: { name: string }) => c.name)).toEqual(["search-1"]);
      expect((await api("GET", "/clusters?project=nope")).status).toBe(404);
      expect((await api("GET", "/clusters/nope")).status).toBe(404);
    });

    it("changes labels, limits and flows, and flows bump the desired config version", async () => {
      const before = (await api("GET", "/clusters/prod-eu-1")).body;
      const r = await api("PATCH", "/clusters/prod-eu-1", {
        json: { labels: { env: "prod" }, limits: { max_body_bytes: 1048576 } },
      });
      expect(r.status).toBe(200);
      expect(r.body.labels).toEqual({ env: "prod" });
      expect(r.body.limits).toEqual({
        max_body_bytes: 1048576,
        samples_per_second: 1000,
        samples_burst: 5000,
      });
      const reset = await api("PATCH", "/clusters/prod-eu-1", { json: { limits: { samples_burst: null } } });
      expect(reset.body.limits).toEqual({ max_body_bytes: 1048576, samples_per_second: 1000 });
      expect(reset.body.labels).toEqual({ env: "prod" });
      const off = await api("PUT", "/clusters/prod-eu-1/flows", { json: { logs: false } });
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ metrics_enabled: true, logs_enabled: false });
      expect(off.body.desired_config_version).toBeGreaterThan(before.desired_config_version);
      const cfg = await api("GET", "/clusters/prod-eu-1/agent-config");
      expect(cfg.body.flows).toEqual({ metrics: true, logs: false });
      const on = await api("PATCH", "/clusters/prod-eu-1", { json: { logs_enabled: true } });
      expect(on.body.logs_enabled).toBe(true);
      const none = await api("PUT", "/clusters/prod-eu-1/flows", { json: {} });
      expect(none.status).toBe(400);
      expect(none.body.error).toContain('"metrics"');
      expect((await api("PATCH", "/clusters/nope", { json: {} })).status).toBe(404);
    });
  });

  describe("certificates", () => {
    it("lists, issues a bundle certificate, rotates with a grace period and revokes", async () => {
      const first = await api("GET", "/clusters/prod-eu-1/certificates");
      expect(first.body.certificates).toHaveLength(1);
      const issued = await api("POST", "/clusters/prod-eu-1/certificates", { json: {} });
      expect(issued.status).toBe(201);
      expect(issued.body.key_pem).toContain("PRIVATE KEY");
      expect(issued.body.gateway_url).toBe(GATEWAY);
      const cfgBefore = (await api("GET", "/clusters/prod-eu-1/agent-config")).body;
      const rotated = await api("POST", "/clusters/prod-eu-1/certificates/rotate", {
        json: { revoke_after: "1h" },
      });
      expect(rotated.status).toBe(200);
      expect(rotated.body.cluster.name).toBe("prod-eu-1");
      const scheduled = rotated.body.certificates.filter(
        (c: { revoke_at: string | null }) => c.revoke_at !== null,
      );
      expect(scheduled).toHaveLength(2);
      const inAnHour = Date.now() + 3_600_000;
      expect(Math.abs(Date.parse(scheduled[0].revoke_at) - inAnHour)).toBeLessThan(60_000);
      const cfgAfter = (await api("GET", "/clusters/prod-eu-1/agent-config")).body;
      expect(cfgAfter.certificate_generation).toBeGreaterThan(cfgBefore.certificate_generation);
      const serial = issued.body.certificate.serial as string;
      const one = await api("POST", "/clusters/prod-eu-1/certificates/revoke", {
        json: { serial: serial.toUpperCase(), reason: "keyCompromise" },
      });
      expect(one.status).toBe(200);
      expect(one.body.certificates).toHaveLength(1);
      expect(one.body.certificates[0]).toMatchObject({ serial, revocation_reason: "keyCompromise" });
      expect(one.body.certificates[0].revoked_at).not.toBeNull();
      expect(
        (await api("POST", "/clusters/prod-eu-1/certificates/revoke", { json: { serial: "abcdef" } })).status,
      ).toBe(404);
      const all = await api("POST", "/clusters/search-1/certificates/revoke", { json: {} });
      expect(all.body.certificates).toHaveLength(1);
    });

    it.each([
      ["/clusters/prod-eu-1/certificates/rotate", { revoke_after: "soon" }, "revoke_after:"],
      ["/clusters/prod-eu-1/certificates/revoke", { serial: "xyz" }, "serial:"],
      ["/clusters/prod-eu-1/certificates/revoke", { reason: "bored" }, "reason:"],
      ["/clusters/prod-eu-1/certificates", { please: true }, 'unknown field "please"'],
    ])("POST %s refuses %j", async (path, json, message) => {
      const r = await api("POST", path, { json });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(message);
    });

    it("serves the CA certificate", async () => {
      const r = await api("GET", "/ca");
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/x-pem-file");
      expect(r.text).toBe(caPem());
    });

    it("answers 404 for the certificates of an unknown cluster", async () => {
      expect((await api("GET", "/clusters/nope/certificates")).status).toBe(404);
      expect((await api("POST", "/clusters/nope/certificates", { json: {} })).status).toBe(404);
    });
  });

  describe("agent configuration and status", () => {
    it("replaces the config body and bumps the version", async () => {
      const before = (await api("GET", "/clusters/prod-eu-1/agent-config")).body;
      const body = {
        scrape_interval: "30s",
        external_labels: { team: "payments" },
        scrape_configs: [{ job_name: "app", static_configs: [{ targets: ["app:8080"] }] }],
      };
      const r = await api("PUT", "/clusters/prod-eu-1/agent-config", { json: body });
      expect(r.status).toBe(200);
      expect(r.body.version).toBeGreaterThan(before.version);
      expect(r.body.config).toEqual(body);
      expect((await api("GET", "/clusters/prod-eu-1")).body.desired_config_version).toBe(r.body.version);
    });

    it.each([
      [{}, "scrape_configs:"],
      [{ scrape_configs: [], scrape_interval: "often" }, "scrape_interval:"],
      [{ scrape_configs: [{ static_configs: [] }] }, "job_name"],
    ])("refuses the config %j naming the field", async (json, message) => {
      const r = await api("PUT", "/clusters/prod-eu-1/agent-config", { json });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(message);
    });

    it("reports desired and applied versions, the last heartbeat and live traffic", async () => {
      const cfg = (await api("GET", "/clusters/prod-eu-1/agent-config")).body;
      const fresh = await api("GET", "/clusters/search-1/status");
      expect(fresh.body).toMatchObject({
        cluster: "search-1",
        applied_config_version: null,
        in_sync: false,
        agent: null,
      });
      const receivedAt = new Date().toISOString();
      await service.recordHeartbeat({
        cluster: "prod-eu-1",
        receivedAt,
        appliedConfigVersion: cfg.version,
        agentVersion: "0.1.0",
        bufferedSamples: 120,
        bufferedBytes: 4096,
        errors: [],
        certificateSerial: "ab12",
      });
      service.setTrafficSource((c) =>
        c === "prod-eu-1"
          ? {
              samplesPerSecond: 250,
              bytesPerSecond: 900,
              logBytesPerSecond: 0,
              rejected: { rate_limited: 2 },
            }
          : undefined,
      );
      const r = await api("GET", "/clusters/prod-eu-1/status");
      expect(r.body).toMatchObject({
        cluster: "prod-eu-1",
        state: "active",
        desired_config_version: cfg.version,
        applied_config_version: cfg.version,
        in_sync: true,
        agent: { agent_version: "0.1.0", buffered_samples: 120, certificate_serial: "ab12" },
        traffic: { samples_per_second: 250, last_push_at: null, rejected: { rate_limited: 2 } },
      });
      expect(Date.parse(r.body.agent.received_at)).toBe(Date.parse(receivedAt));
      const all = await api("GET", "/status");
      expect(all.body.clusters.map((s: { cluster: string }) => s.cluster)).toEqual(["prod-eu-1", "search-1"]);
      expect((await api("GET", "/clusters/nope/status")).status).toBe(404);
      expect((await api("GET", "/clusters/nope/agent-config")).status).toBe(404);
    });
  });

  describe("removal", () => {
    it("revokes a cluster's certificates and says when its data is deleted", async () => {
      const r = await api("DELETE", "/clusters/search-1");
      expect(r.status).toBe(200);
      expect(r.body.state).toBe("removing");
      expect(Date.parse(r.body.delete_after)).toBeGreaterThan(Date.now());
      const certs = (await api("GET", "/clusters/search-1/certificates")).body.certificates;
      expect(certs.every((c: { revoked_at: string | null }) => c.revoked_at !== null)).toBe(true);
      expect((await api("DELETE", "/clusters/nope")).status).toBe(404);
    });

    it("keeps a project while it has clusters", async () => {
      const r = await api("DELETE", "/projects/payments");
      expect(r.status).toBe(409);
      expect(r.body.error).toContain("payments");
    });
  });

  describe("requests the API refuses", () => {
    it("wants JSON bodies sent as application/json", async () => {
      const form = await api("POST", "/projects", {
        raw: "name=x",
        contentType: "application/x-www-form-urlencoded",
      });
      expect(form.status).toBe(415);
      expect((await api("POST", "/clusters/prod-eu-1/certificates", { contentType: null })).status).toBe(415);
      const bad = await api("POST", "/projects", { raw: "{name:" });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toContain("not valid JSON");
    });

    it("refuses a body over the limit, naming the setting", async () => {
      const r = await api("PUT", "/clusters/prod-eu-1/agent-config", {
        json: { scrape_configs: [{ job_name: "x".repeat(MAX_BODY) }] },
      });
      expect(r.status).toBe(413);
      expect(r.body.error).toContain("server.max_query_body_bytes");
    });

    it("refuses a request addressed to a name other than this machine's (DNS rebinding)", async () => {
      // fetch will not send another Host; node:http will.
      const get = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const path = "/api/mirador/v1/clusters";
          const req = request(new URL(path, served.url), { headers: { host } }, (res) => {
            let text = "";
            res.on("data", (b: Buffer) => (text += b.toString()));
            res.on("end", () => {
              checker.check("GET", path, res.statusCode!, res.headers["content-type"] ?? null, text);
              resolve(res.statusCode!);
            });
          });
          req.on("error", reject);
          req.end();
        });
      expect(await get("attacker.example")).toBe(403);
      expect(await get("attacker.example:9700")).toBe(403);
      expect(await get("localhost:9700")).toBe(200);
      expect(await get("[::1]:9700")).toBe(200);
      expect(await get(`${hostname()}:9700`)).toBe(200);
    });

    it.skipIf(externalAddress() === undefined)("refuses clients on other machines", async () => {
      const outside = await serveRegistryApi(service, { caPem }, "0.0.0.0");
      try {
        const port = new URL(outside.url).port;
        const res = await fetch(`http://${externalAddress()}:${port}/api/mirador/v1/clusters`);
        const text = await res.text();
        checker.check("GET", "/api/mirador/v1/clusters", res.status, res.headers.get("content-type"), text);
        expect(res.status).toBe(403);
        expect(text).toContain("own machine");
      } finally {
        await outside.stop();
      }
    });
  });

  it("exercised every documented operation", () => {
    const missing = checker
      .operations()
      .map((o) => `${o.method} ${o.path}`)
      .filter((o) => !checker.exercised.has(o));
    expect(missing).toEqual([]);
  });
});
