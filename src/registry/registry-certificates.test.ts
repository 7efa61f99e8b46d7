import { X509Certificate } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  certificateRequest,
  DAY_MS,
  type Harness,
  HOUR_MS,
  registryError,
  startHarness,
} from "./registry-harness.testlib.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.registry.createProject("shop");
});
afterEach(async () => {
  await h.close();
});

describe("certificates", () => {
  it("issues further bundle certificates and lists them in issue order", async () => {
    const { issued } = await h.registry.addCluster("c1", { project: "shop" });
    h.advance(1000);
    const second = await h.registry.issueBundleCertificate("c1");
    expect(second.certificate).toMatchObject({
      cluster: "c1",
      kind: "bundle",
      issuedAt: "2026-11-21T12:00:01.000Z",
    });
    expect(new X509Certificate(second.certPem).checkPrivateKey).toBeDefined();
    expect((await h.registry.listCertificates("c1")).map((c) => c.serial)).toEqual([
      issued.certificate.serial,
      second.certificate.serial,
    ]);
  });

  it("renews from an agent's request: the cluster's name, the request's key, kind renewal", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    h.advance(1000);
    const renewed = await h.registry.renewCertificate(
      "c1",
      await certificateRequest("CN=admin, O=mirador-cluster"),
    );
    const cert = new X509Certificate(renewed.certPem);
    expect(cert.subject).toBe("O=mirador-cluster\nCN=c1");
    expect(renewed.caPem).toBe(h.ca.certPem);
    expect(renewed.certificate).toMatchObject({ serial: cert.serialNumber.toLowerCase(), kind: "renewal" });
    expect("keyPem" in renewed).toBe(false);
    expect((await h.registry.listCertificates("c1")).map((c) => c.kind)).toEqual(["bundle", "renewal"]);
  });

  it("refuses a bad request, and renewal for an unknown or removed cluster", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const bad = await registryError(() => h.registry.renewCertificate("c1", "not a request"));
    expect(bad.kind).toBe("invalid");
    expect(bad.message).toMatch(/bad certificate request/);
    const csr = await certificateRequest();
    expect((await registryError(() => h.registry.renewCertificate("ghost", csr))).kind).toBe("not_found");
    await h.registry.removeCluster("c1");
    const removed = await registryError(() => h.registry.renewCertificate("c1", csr));
    expect(removed.kind).toBe("forbidden");
    expect(removed.message).toMatch(/being removed/);
  });

  it("revokes one certificate or all, once, and lists revoked serials until they expire", async () => {
    const { issued } = await h.registry.addCluster("c1", { project: "shop" });
    const b = await h.registry.issueBundleCertificate("c1");
    const c = await h.registry.issueBundleCertificate("c1");
    h.events.length = 0;

    const one = await h.registry.revokeCertificates(
      "c1",
      b.certificate.serial.toUpperCase(),
      "keyCompromise",
    );
    expect(one).toEqual([
      { ...b.certificate, revokedAt: "2026-11-21T12:00:00.000Z", revocationReason: "keyCompromise" },
    ]);
    expect(h.events).toEqual([{ kind: "revoked" }]);
    expect(await h.registry.revokeCertificates("c1", b.certificate.serial)).toEqual([]);

    h.advance(HOUR_MS);
    const rest = await h.registry.revokeCertificates("c1");
    expect(rest.map((r) => r.serial).sort()).toEqual(
      [issued.certificate.serial, c.certificate.serial].sort(),
    );
    expect(rest.every((r) => r.revocationReason === "unspecified")).toBe(true);
    expect(await h.registry.revokedSerials()).toHaveLength(3);
    expect(await h.registry.revokedSerials()).toContainEqual({
      serial: b.certificate.serial,
      revokedAt: "2026-11-21T12:00:00.000Z",
      reason: "keyCompromise",
    });

    // Past their notAfter (client_cert_lifetime 2d) they leave the list.
    h.advance(2 * DAY_MS);
    expect(await h.registry.revokedSerials()).toEqual([]);
  });

  it.each<[string, () => Promise<unknown>, string, RegExp]>([
    [
      "an unknown serial",
      () => h.registry.revokeCertificates("c1", "abcdef"),
      "not_found",
      /has no certificate abcdef/,
    ],
    ["an unknown cluster", () => h.registry.revokeCertificates("ghost"), "not_found", /does not exist/],
    [
      "an unknown reason",
      () => h.registry.revokeCertificates("c1", undefined, "bored" as never),
      "invalid",
      /unknown revocation reason/,
    ],
  ])("refuses to revoke %s", async (_what, fn, kind, message) => {
    await h.registry.addCluster("c1", { project: "shop" });
    const err = await registryError(fn);
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  it("refuses to revoke another cluster's certificate", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const { issued } = await h.registry.addCluster("c2", { project: "shop" });
    expect(
      (await registryError(() => h.registry.revokeCertificates("c1", issued.certificate.serial))).kind,
    ).toBe("not_found");
  });
});

describe("revocation and its listeners", () => {
  it("resolves a revocation only after the promises listeners returned (a gateway's new CRL) have settled", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const installed: string[] = [];
    h.registry.onChange(async (event) => {
      if (event.kind !== "revoked") return;
      await new Promise((r) => setImmediate(r));
      installed.push("crl");
    });
    // A failing listener is logged, not passed on.
    h.registry.onChange(async () => {
      throw new Error("listener down");
    });
    await h.registry.revokeCertificates("c1");
    expect(installed).toEqual(["crl"]);
    await h.registry.removeCluster("c1");
    expect(installed).toEqual(["crl"]); // nothing left to revoke: no event
  });
});

describe("rotation", () => {
  it("asks agents to renew and revokes the older certificates when the grace has passed", async () => {
    const { issued } = await h.registry.addCluster("c1", { project: "shop" });
    h.events.length = 0;
    h.advance(1000);
    const rotated = await h.registry.rotateCertificates("c1", HOUR_MS);
    expect(rotated.desiredConfigVersion).toBe(2);
    expect(await h.registry.getAgentConfig("c1")).toMatchObject({ version: 2, certificateGeneration: 1 });
    expect(h.events).toEqual([{ kind: "config", name: "c1" }]);
    expect(await h.registry.listCertificates("c1")).toEqual([
      { ...issued.certificate, revokeAt: "2026-11-21T13:00:01.000Z" },
    ]);

    // The agent renews after the rotation: its new certificate is not scheduled.
    h.advance(1000);
    const renewed = await h.registry.renewCertificate("c1", await certificateRequest());

    h.events.length = 0;
    await h.registry.runJanitor();
    expect(await h.registry.revokedSerials()).toEqual([]);
    expect(h.events).toEqual([]);

    h.advance(HOUR_MS);
    await h.registry.runJanitor();
    expect(await h.registry.revokedSerials()).toEqual([
      { serial: issued.certificate.serial, revokedAt: "2026-11-21T13:00:01.000Z", reason: "superseded" },
    ]);
    expect(h.events).toEqual([{ kind: "revoked" }]);
    expect((await h.store.getCertificate(renewed.certificate.serial))?.revokedAt).toBeUndefined();
  });

  it("revokes at once with a grace of 0, and schedules nothing without one", async () => {
    const { issued } = await h.registry.addCluster("c1", { project: "shop" });
    await h.registry.rotateCertificates("c1");
    expect((await h.registry.listCertificates("c1"))[0]?.revokeAt).toBeUndefined();
    h.events.length = 0;
    await h.registry.rotateCertificates("c1", 0);
    expect(await h.registry.getAgentConfig("c1")).toMatchObject({ version: 3, certificateGeneration: 2 });
    expect(await h.registry.revokedSerials()).toEqual([
      { serial: issued.certificate.serial, revokedAt: "2026-11-21T12:00:00.000Z", reason: "superseded" },
    ]);
    expect(h.events).toEqual([{ kind: "config", name: "c1" }, { kind: "revoked" }]);
  });

  it("refuses a negative grace and a removed cluster", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    expect((await registryError(() => h.registry.rotateCertificates("c1", -1))).kind).toBe("invalid");
    await h.registry.removeCluster("c1");
    expect((await registryError(() => h.registry.rotateCertificates("c1", 1))).kind).toBe("conflict");
  });
});

describe("removal", () => {
  it("revokes everything at once, then the janitor deletes the data and the records after the grace", async () => {
    const { issued } = await h.registry.addCluster("c1", { project: "shop" });
    await h.registry.addCluster("c2", { project: "shop" });
    const deleted: string[] = [];
    h.registry.addTenantDeleter("metrics", async (tenant) => {
      deleted.push(tenant);
    });
    h.events.length = 0;

    const removing = await h.registry.removeCluster("c1");
    expect(removing).toMatchObject({ state: "removing", deleteAfter: "2026-11-22T12:00:00.000Z" });
    expect(h.events).toEqual([{ kind: "cluster", name: "c1" }, { kind: "revoked" }]);
    expect(await h.registry.revokedSerials()).toEqual([
      {
        serial: issued.certificate.serial,
        revokedAt: "2026-11-21T12:00:00.000Z",
        reason: "cessationOfOperation",
      },
    ]);
    expect(await h.registry.removeCluster("c1")).toEqual(removing);
    expect(h.registry.cachedCluster("c1")?.state).toBe("removing");

    // While removing: no changes, and the name is not free.
    const again = await registryError(() => h.registry.addCluster("c1", { project: "shop" }));
    expect(again.kind).toBe("conflict");
    expect(again.message).toMatch(/is being removed; its name is free .* after 2026-11-22T12:00:00.000Z/);
    expect((await registryError(() => h.registry.setAgentConfig("c1", { scrape_configs: [] }))).kind).toBe(
      "conflict",
    );
    expect((await registryError(() => h.registry.issueBundleCertificate("c1"))).kind).toBe("conflict");

    h.advance(DAY_MS - 1);
    await h.registry.runJanitor();
    expect(deleted).toEqual([]);
    expect(await h.registry.getCluster("c1")).toBeDefined();

    h.events.length = 0;
    h.advance(1);
    await h.registry.runJanitor();
    expect(deleted).toEqual(["c1"]);
    expect(await h.registry.getCluster("c1")).toBeUndefined();
    expect(h.registry.cachedCluster("c1")).toBeUndefined();
    expect(await h.store.listAgentConfigs("c1")).toEqual([]);
    expect(h.events).toEqual([{ kind: "cluster", name: "c1" }]);
    expect((await h.registry.listClusters()).map((c) => c.name)).toEqual(["c2"]);
    // Its revoked certificate stays on the revocation list until it expires.
    expect((await h.registry.revokedSerials()).map((r) => r.serial)).toEqual([issued.certificate.serial]);

    // The name is free again; the new cluster does not inherit the old one's certificates.
    const fresh = await h.registry.addCluster("c1", { project: "shop" });
    expect(await h.registry.listCertificates("c1")).toEqual([fresh.issued.certificate]);
    expect(await h.registry.getAgentConfig("c1")).toMatchObject({ version: 1 });

    // Once expired, the old certificate is forgotten.
    h.advance(2 * DAY_MS);
    await h.registry.runJanitor();
    expect(await h.store.getCertificate(issued.certificate.serial)).toBeUndefined();
  });

  it("keeps the cluster for the next pass when a deleter fails, and calls no later deleter", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    let failing = true;
    const calls: string[] = [];
    h.registry.addTenantDeleter("metrics", async (tenant) => {
      calls.push(`metrics ${tenant}`);
      if (failing) throw new Error("disk busy");
    });
    const removeLogs = h.registry.addTenantDeleter("logs", async (tenant) => {
      calls.push(`logs ${tenant}`);
    });
    expect(() => h.registry.addTenantDeleter("logs", async () => {})).toThrow(/registered already/);
    await h.registry.removeCluster("c1");
    h.advance(DAY_MS);

    await h.registry.runJanitor();
    expect(calls).toEqual(["metrics c1"]);
    expect(await h.registry.getCluster("c1")).toBeDefined();
    expect(h.logs.some((l) => l.level === "error" && l.deleter === "metrics")).toBe(true);

    failing = false;
    removeLogs();
    await h.registry.runJanitor();
    expect(calls).toEqual(["metrics c1", "metrics c1"]);
    expect(await h.registry.getCluster("c1")).toBeUndefined();
  });

  it("joins a janitor pass already running instead of starting another", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    h.registry.addTenantDeleter("slow", async () => {
      calls++;
      await gate;
    });
    await h.registry.removeCluster("c1");
    h.advance(DAY_MS);
    const first = h.registry.runJanitor();
    const second = h.registry.runJanitor();
    expect(second).toBe(first);
    release();
    await first;
    expect(calls).toBe(1);
  });

  it("runs the janitor on its timer until stopped", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      await h.registry.addCluster("c1", { project: "shop" });
      await h.registry.removeCluster("c1");
      h.advance(DAY_MS);
      h.registry.startJanitor();
      h.registry.startJanitor();
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(10_000);
      await vi.waitFor(async () => expect(await h.registry.getCluster("c1")).toBeUndefined());
      h.registry.stopJanitor();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
