import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentReport, CertificateRecord } from "../model.js";
import type { AgentConfigRow, ClusterRow, RegistryStore } from "./store.js";
import { RegistryStoreError, type RegistryStoreErrorCode } from "./store.js";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-02T00:00:00.000Z";
const T2 = "2026-01-03T00:00:00.000Z";
const T3 = "2026-01-04T00:00:00.000Z";

/** A cluster row with every field set, `over` replacing some. */
export function clusterRow(name: string, over: Partial<ClusterRow> = {}): ClusterRow {
  return {
    name,
    project: "p1",
    labels: { env: "prod", region: "eu-west-1" },
    seed: "local",
    metricsEnabled: true,
    logsEnabled: false,
    limits: { samples_per_second: 1000 },
    state: "active",
    createdAt: T0,
    updatedAt: T0,
    desiredConfigVersion: 1,
    certificateGeneration: 1,
    ...over,
  };
}

/** Version `version` of `cluster`'s config. */
export function configRow(
  cluster: string,
  version: number,
  over: Partial<AgentConfigRow> = {},
): AgentConfigRow {
  return {
    cluster,
    version,
    flows: { metrics: true, logs: false },
    certificateGeneration: 1,
    body: { scrape_configs: [] },
    createdAt: T0,
    ...over,
  };
}

/** A certificate record of `cluster`. */
export function certRow(
  serial: string,
  cluster: string,
  over: Partial<CertificateRecord> = {},
): CertificateRecord {
  return {
    serial,
    cluster,
    kind: "bundle",
    notBefore: T0,
    notAfter: "2026-04-01T00:00:00.000Z",
    issuedAt: T0,
    ...over,
  };
}

function report(cluster: string, over: Partial<AgentReport> = {}): AgentReport {
  return {
    cluster,
    receivedAt: T1,
    appliedConfigVersion: 1,
    agentVersion: "0.1.0",
    bufferedSamples: 1200,
    bufferedBytes: 48213,
    errors: [],
    ...over,
  };
}

async function storeError(p: Promise<unknown>): Promise<RegistryStoreErrorCode> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryStoreError);
    return (err as RegistryStoreError).code;
  }
  throw new Error("expected a RegistryStoreError, nothing was thrown");
}

/** Options of {@link runRegistryStoreConformance}. */
export interface ConformanceOptions {
  /** Cases this implementation skips, by title, with the reason (shown in the test name). */
  readonly skips?: Readonly<Record<string, string>>;
}

/**
 * The shared conformance suite of {@link RegistryStore}: every implementation (SQLite today,
 * PostgreSQL later) runs it. `open` returns a new, empty store for each case; the suite closes it.
 */
export function runRegistryStoreConformance(
  name: string,
  open: () => Promise<RegistryStore>,
  opts: ConformanceOptions = {},
): void {
  const test = (title: string, fn: () => Promise<void>) => {
    const skip = opts.skips?.[title];
    return skip ? it.skip(`${title} (${skip})`, fn) : it(title, fn);
  };

  describe(`registry store conformance: ${name}`, () => {
    let store: RegistryStore;
    beforeEach(async () => {
      store = await open();
      await store.insertProject({ name: "p1", description: "first", createdAt: T0 });
    });
    afterEach(async () => {
      await store.close();
    });

    /** Inserts `name` in p1 with its first config version. */
    const addCluster = (name: string, over: Partial<ClusterRow> = {}) =>
      store.insertCluster({ cluster: clusterRow(name, over), config: configRow(name, 1) });

    test("projects: insert, get, list by name, refuse a duplicate, delete", async () => {
      await store.insertProject({ name: "a-first", description: "", createdAt: T1 });
      expect(await store.getProject("p1")).toEqual({ name: "p1", description: "first", createdAt: T0 });
      expect(await store.getProject("nope")).toBeUndefined();
      expect((await store.listProjects()).map((p) => p.name)).toEqual(["a-first", "p1"]);
      expect(await storeError(store.insertProject({ name: "p1", description: "again", createdAt: T1 }))).toBe(
        "exists",
      );
      expect((await store.getProject("p1"))?.description).toBe("first");
      expect(await store.deleteProject("a-first")).toBe(true);
      expect(await store.deleteProject("a-first")).toBe(false);
      expect((await store.listProjects()).map((p) => p.name)).toEqual(["p1"]);
    });

    test("a project with clusters cannot be deleted", async () => {
      await addCluster("c1");
      expect(await storeError(store.deleteProject("p1"))).toBe("in_use");
      await store.deleteCluster("c1");
      expect(await store.deleteProject("p1")).toBe(true);
    });

    test("clusters: insert with config and certificate, read back exactly, list sorted and by project", async () => {
      await store.insertProject({ name: "p2", description: "", createdAt: T0 });
      const full = clusterRow("c2", { lastSeenAt: T1, deleteAfter: T2, state: "removing" });
      await store.insertCluster({
        cluster: full,
        config: configRow("c2", 1),
        certificates: [certRow("aa", "c2")],
      });
      await addCluster("c1", { project: "p2", labels: {}, limits: {} });
      await addCluster("c3");

      expect(await store.getCluster("c2")).toEqual(full);
      expect(await store.getCluster("c1")).toEqual(
        clusterRow("c1", { project: "p2", labels: {}, limits: {} }),
      );
      expect(await store.getCluster("nope")).toBeUndefined();
      expect((await store.listClusters()).map((c) => c.name)).toEqual(["c1", "c2", "c3"]);
      expect((await store.listClusters("p1")).map((c) => c.name)).toEqual(["c2", "c3"]);
      expect(await store.listClusters("nope")).toEqual([]);
      expect(await store.listCertificates("c2")).toEqual([certRow("aa", "c2")]);
      expect(await store.getAgentConfig("c2")).toEqual(configRow("c2", 1));
    });

    test("a cluster is refused when it exists or its project does not, and nothing is written", async () => {
      await addCluster("c1");
      expect(await storeError(addCluster("c1", { seed: "other" }))).toBe("exists");
      expect((await store.getCluster("c1"))?.seed).toBe("local");
      expect(
        await storeError(
          store.insertCluster({
            cluster: clusterRow("c2", { project: "ghost" }),
            config: configRow("c2", 1),
            certificates: [certRow("bb", "c2")],
          }),
        ),
      ).toBe("missing");
      expect(await store.getCluster("c2")).toBeUndefined();
      expect(await store.getCertificate("bb")).toBeUndefined();
      expect(await store.getAgentConfig("c2")).toBeUndefined();
    });

    test("updateCluster replaces the row, appends the config version and saves certificates at once", async () => {
      await store.insertCluster({
        cluster: clusterRow("c1"),
        config: configRow("c1", 1),
        certificates: [certRow("aa", "c1")],
      });
      const next = clusterRow("c1", {
        labels: { team: "payments" },
        metricsEnabled: false,
        limits: {},
        updatedAt: T1,
        desiredConfigVersion: 2,
        certificateGeneration: 2,
      });
      const revoking = certRow("aa", "c1", { revokeAt: T2 });
      expect(
        await store.updateCluster({
          cluster: next,
          config: configRow("c1", 2, { flows: { metrics: false, logs: false }, certificateGeneration: 2 }),
          certificates: [revoking],
        }),
      ).toBe(true);
      expect(await store.getCluster("c1")).toEqual(next);
      expect(await store.getCertificate("aa")).toEqual(revoking);
      expect((await store.listAgentConfigs("c1")).map((c) => c.version)).toEqual([1, 2]);
      expect(await store.getAgentConfig("c1")).toEqual(
        configRow("c1", 2, { flows: { metrics: false, logs: false }, certificateGeneration: 2 }),
      );
      expect(await store.getAgentConfig("c1", 1)).toEqual(configRow("c1", 1));
      expect(await store.getAgentConfig("c1", 3)).toBeUndefined();
      expect(await store.updateCluster({ cluster: clusterRow("ghost") })).toBe(false);
      expect(await store.getCluster("ghost")).toBeUndefined();
    });

    test("an update whose config version exists is refused whole", async () => {
      await addCluster("c1");
      const change = {
        cluster: clusterRow("c1", { seed: "elsewhere", desiredConfigVersion: 1 }),
        config: configRow("c1", 1, { body: { scrape_configs: [{ job_name: "x" }] } }),
        certificates: [certRow("cc", "c1")],
      };
      expect(await storeError(store.updateCluster(change))).toBe("exists");
      expect(await store.getCluster("c1")).toEqual(clusterRow("c1"));
      expect(await store.getCertificate("cc")).toBeUndefined();
      expect(await store.getAgentConfig("c1")).toEqual(configRow("c1", 1));
    });

    test("setLastSeen sets only lastSeenAt of clusters that exist", async () => {
      await addCluster("c1");
      await addCluster("c2");
      await store.setLastSeen([
        { name: "c1", at: T1 },
        { name: "ghost", at: T1 },
      ]);
      await store.setLastSeen([]);
      expect(await store.getCluster("c1")).toEqual(clusterRow("c1", { lastSeenAt: T1 }));
      expect(await store.getCluster("c2")).toEqual(clusterRow("c2"));
      expect(await store.getCluster("ghost")).toBeUndefined();
    });

    test("deleting a cluster removes its configs and report but keeps its certificates", async () => {
      await store.insertCluster({
        cluster: clusterRow("c1"),
        config: configRow("c1", 1),
        certificates: [certRow("aa", "c1")],
      });
      expect(await store.putAgentReport(report("c1"))).toBe(true);
      expect(await store.deleteCluster("c1")).toBe(true);
      expect(await store.deleteCluster("c1")).toBe(false);
      expect(await store.getCluster("c1")).toBeUndefined();
      expect(await store.listAgentConfigs("c1")).toEqual([]);
      expect(await store.getAgentReport("c1")).toBeUndefined();
      expect(await store.listCertificates("c1")).toEqual([certRow("aa", "c1")]);

      // The name is free again, starting from version 1.
      await addCluster("c1");
      expect((await store.listAgentConfigs("c1")).map((c) => c.version)).toEqual([1]);
    });

    test("certificates: save, replace by serial, list by issue time, find revoked and due ones", async () => {
      await addCluster("c1");
      await addCluster("c2");
      await store.saveCertificates([
        certRow("b2", "c1", { issuedAt: T1 }),
        certRow("a1", "c1", { issuedAt: T1, kind: "renewal" }),
        certRow("c3", "c1", { issuedAt: T0 }),
        certRow("d4", "c2", { revokedAt: T1, revocationReason: "keyCompromise", notAfter: T2 }),
        certRow("e5", "c2", { revokedAt: T0, revocationReason: "superseded", notAfter: T1 }),
        certRow("f6", "c2", { revokeAt: T1 }),
        certRow("g7", "c2", { revokeAt: T2 }),
      ]);
      await store.saveCertificates([]);
      expect((await store.listCertificates("c1")).map((c) => c.serial)).toEqual(["c3", "a1", "b2"]);
      expect(await store.getCertificate("a1")).toEqual(
        certRow("a1", "c1", { issuedAt: T1, kind: "renewal" }),
      );
      expect(await store.getCertificate("zz")).toBeUndefined();

      // Revoked and still valid after T1 (notAfter strictly later).
      expect((await store.listRevokedCertificates(T1)).map((c) => c.serial)).toEqual(["d4"]);
      expect((await store.listRevokedCertificates(T0)).map((c) => c.serial)).toEqual(["d4", "e5"]);
      // Due at T1: revokeAt at or before T1, not yet revoked.
      expect((await store.listCertificatesDue(T1)).map((c) => c.serial)).toEqual(["f6"]);

      await store.saveCertificates([
        certRow("f6", "c2", { revokeAt: T1, revokedAt: T1, revocationReason: "superseded" }),
      ]);
      expect(await store.listCertificatesDue(T2)).toEqual([certRow("g7", "c2", { revokeAt: T2 })]);
      expect((await store.getCertificate("f6"))?.revocationReason).toBe("superseded");
    });

    test("pruneCertificates drops expired certificates of deleted clusters only", async () => {
      await addCluster("live");
      await addCluster("gone");
      await store.saveCertificates([
        certRow("l1", "live", { notAfter: T0 }),
        certRow("g1", "gone", { notAfter: T0, revokedAt: T0, revocationReason: "cessationOfOperation" }),
        certRow("g2", "gone", { notAfter: T2, revokedAt: T0, revocationReason: "cessationOfOperation" }),
      ]);
      await store.deleteCluster("gone");
      expect(await store.pruneCertificates(T1)).toBe(1);
      expect(await store.getCertificate("g1")).toBeUndefined();
      expect(await store.getCertificate("g2")).toBeDefined();
      expect(await store.getCertificate("l1")).toBeDefined();
      expect(await store.pruneCertificates(T1)).toBe(0);

      // A new cluster of the same name does not keep the old one's certificates alive.
      await addCluster("gone", { createdAt: T1 });
      expect(await store.pruneCertificates(T3)).toBe(1);
      expect(await store.getCertificate("g2")).toBeUndefined();
    });

    test("config bodies keep every JSON value as given", async () => {
      const body = {
        scrape_interval: "30s",
        external_labels: { team: "paiements-é", emoji: "🚀" },
        scrape_configs: [
          {
            job_name: "app",
            static_configs: [{ targets: ["app:8080", "[::1]:9100"], labels: { a: "b" } }],
            relabel_configs: [{ source_labels: ["__meta_x"], regex: "(.*)\\\\d+", replacement: "$1" }],
            honor_labels: true,
            sample_limit: 0,
          },
        ],
      };
      await store.insertCluster({ cluster: clusterRow("c1"), config: configRow("c1", 1, { body }) });
      expect((await store.getAgentConfig("c1"))?.body).toEqual(body);
    });

    test("agent reports: the latest per cluster, refused for an unknown cluster", async () => {
      await addCluster("c1");
      expect(await store.getAgentReport("c1")).toBeUndefined();
      await store.putAgentReport(report("c1", { errors: ["bad job"], certificateSerial: "4f" }));
      expect(await store.getAgentReport("c1")).toEqual(
        report("c1", { errors: ["bad job"], certificateSerial: "4f" }),
      );
      await store.putAgentReport(report("c1", { receivedAt: T2, appliedConfigVersion: 3 }));
      expect(await store.getAgentReport("c1")).toEqual(
        report("c1", { receivedAt: T2, appliedConfigVersion: 3 }),
      );
      expect(await store.putAgentReport(report("ghost"))).toBe(false);
      expect(await store.getAgentReport("ghost")).toBeUndefined();
    });

    test("returned rows are the caller's to keep", async () => {
      await addCluster("c1");
      const row = (await store.getCluster("c1")) as { labels: Record<string, string> };
      row.labels.env = "changed";
      expect((await store.getCluster("c1"))?.labels.env).toBe("prod");
    });

    test("close is idempotent", async () => {
      await store.close();
      await store.close();
      store = await open();
    });
  });
}
