import { X509Certificate } from "node:crypto";
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Logger } from "../lib/log/logger.js";
import { serverConfigSchema } from "../server/config.js";
import { TOUCH_INTERVAL_MS } from "./last-seen.js";
import type { AgentRemoteConfigBody, AgentReport, ClusterTraffic } from "./model.js";
import { type Harness, registryError, startHarness } from "./registry-harness.testlib.js";
import { Registry } from "./registry-service.js";
import type { RegistryStore } from "./store/store.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.registry.createProject("shop", "the shop's clusters");
});
afterEach(async () => {
  vi.useRealTimers();
  await h.close();
});

describe("projects", () => {
  it("creates, lists, gets and deletes projects", async () => {
    const p = await h.registry.createProject("a-team");
    expect(p).toEqual({ name: "a-team", description: "", createdAt: "2026-11-21T12:00:00.000Z" });
    expect((await h.registry.listProjects()).map((x) => x.name)).toEqual(["a-team", "shop"]);
    expect(await h.registry.getProject("shop")).toMatchObject({ description: "the shop's clusters" });
    await h.registry.deleteProject("a-team");
    expect(await h.registry.getProject("a-team")).toBeUndefined();
  });

  it.each([
    ["a duplicate", () => h.registry.createProject("shop"), "conflict", /project "shop" exists/],
    [
      "a bad name",
      () => h.registry.createProject("a b"),
      "invalid",
      /invalid project name "a b": project names are tenant ids/,
    ],
    ["an empty name", () => h.registry.createProject(""), "invalid", /tenant id is empty/],
    ["a long description", () => h.registry.createProject("x", "d".repeat(2000)), "invalid", /at most 1024/],
    ["deleting an unknown one", () => h.registry.deleteProject("nope"), "not_found", /does not exist/],
  ])("refuses %s", async (_what, fn, kind, message) => {
    const err = await registryError(fn);
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  it("refuses to delete a project that has clusters", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const err = await registryError(() => h.registry.deleteProject("shop"));
    expect(err.kind).toBe("conflict");
    expect(err.message).toMatch(/still has 1 cluster\(s\); remove them first/);
  });
});

describe("clusters", () => {
  it("adds a cluster with defaults, its first certificate and config version 1", async () => {
    const { cluster, issued } = await h.registry.addCluster("prod-eu-1", { project: "shop" });
    expect(cluster).toEqual({
      name: "prod-eu-1",
      project: "shop",
      labels: {},
      seed: "seed-a",
      metricsEnabled: true,
      logsEnabled: true,
      limits: {},
      state: "active",
      createdAt: "2026-11-21T12:00:00.000Z",
      updatedAt: "2026-11-21T12:00:00.000Z",
      desiredConfigVersion: 1,
    });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subject).toBe("O=mirador-cluster\nCN=prod-eu-1");
    expect(cert.checkIssued(new X509Certificate(issued.caPem))).toBe(true);
    expect(issued.keyPem).toMatch(/BEGIN PRIVATE KEY/);
    expect(issued.certificate).toEqual({
      serial: cert.serialNumber.toLowerCase(),
      cluster: "prod-eu-1",
      kind: "bundle",
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: "2026-11-23T12:00:00.000Z", // client_cert_lifetime: 2d
      issuedAt: "2026-11-21T12:00:00.000Z",
    });
    expect(await h.registry.listCertificates("prod-eu-1")).toEqual([issued.certificate]);
    expect(await h.registry.getAgentConfig("prod-eu-1")).toEqual({
      version: 1,
      cluster: "prod-eu-1",
      flows: { metrics: true, logs: true },
      certificateGeneration: 0,
      body: { scrape_configs: [] },
    });
    expect(await h.registry.getCluster("prod-eu-1")).toEqual(cluster);
    expect(h.registry.cachedCluster("prod-eu-1")).toEqual(cluster);
    expect(h.events).toEqual([{ kind: "cluster", name: "prod-eu-1" }]);
  });

  it("takes labels, limits, seed and flows, and lists clusters by name and project", async () => {
    await h.registry.createProject("other");
    const { cluster } = await h.registry.addCluster("b", {
      project: "shop",
      labels: { env: "prod", _x: "1" },
      limits: { samples_per_second: 10.5, max_body_bytes: 1024 },
      seed: "seed-b",
      logsEnabled: false,
    });
    expect(cluster).toMatchObject({
      labels: { env: "prod", _x: "1" },
      limits: { samples_per_second: 10.5, max_body_bytes: 1024 },
      seed: "seed-b",
      metricsEnabled: true,
      logsEnabled: false,
    });
    expect(h.registry.effectiveLimits(cluster)).toEqual({
      samples_per_second: 10.5,
      samples_burst: 500_000,
      log_bytes_per_second: 4 * 1024 * 1024,
      log_bytes_burst: 16 * 1024 * 1024,
      max_body_bytes: 1024,
    });
    await h.registry.addCluster("a", { project: "other" });
    expect((await h.registry.listClusters()).map((c) => c.name)).toEqual(["a", "b"]);
    expect((await h.registry.listClusters("shop")).map((c) => c.name)).toEqual(["b"]);
  });

  it.each<[string, string, Record<string, unknown>, string, RegExp]>([
    [
      "an unknown project",
      "c1",
      { project: "ghost" },
      "not_found",
      /project "ghost" does not exist; create it first/,
    ],
    ["no project", "c1", {}, "invalid", /needs a project/],
    [
      "a bad name",
      "c/1",
      { project: "shop" },
      "invalid",
      /invalid cluster name "c\/1": cluster names are tenant ids/,
    ],
    [
      "a reserved label",
      "c1",
      { project: "shop", labels: { __name__: "x" } },
      "invalid",
      /"__name__" is not a label name/,
    ],
    [
      "a label starting with a digit",
      "c1",
      { project: "shop", labels: { "1a": "x" } },
      "invalid",
      /"1a" is not a label name/,
    ],
    [
      "a label that is not text",
      "c1",
      { project: "shop", labels: { a: 1 } },
      "invalid",
      /value of a must be a string/,
    ],
    [
      "an unknown limit",
      "c1",
      { project: "shop", limits: { qps: 1 } },
      "invalid",
      /unknown limit "qps"; the limits are/,
    ],
    ["a negative limit", "c1", { project: "shop", limits: { samples_per_second: -1 } }, "invalid", /≥ 0/],
    [
      "a fractional burst",
      "c1",
      { project: "shop", limits: { samples_burst: 1.5 } },
      "invalid",
      /whole number/,
    ],
    [
      "a flow that is not boolean",
      "c1",
      { project: "shop", logsEnabled: "yes" },
      "invalid",
      /logs flow must be true or false/,
    ],
    ["an empty seed", "c1", { project: "shop", seed: "" }, "invalid", /seed/],
  ])("refuses %s", async (_what, name, spec, kind, message) => {
    const err = await registryError(() => h.registry.addCluster(name, spec as never));
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
    expect(await h.registry.listClusters()).toEqual([]);
    expect(h.events).toEqual([]);
  });

  it("refuses a cluster that exists", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const err = await registryError(() => h.registry.addCluster("c1", { project: "shop" }));
    expect(err.kind).toBe("conflict");
    expect(err.message).toBe('cluster "c1" exists');
  });

  it("updates labels and limits without a new config version, flows with one", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    h.events.length = 0;
    h.advance(1000);
    const labelled = await h.registry.updateCluster("c1", {
      labels: { team: "pay" },
      limits: { samples_burst: 5 },
    });
    expect(labelled).toMatchObject({
      labels: { team: "pay" },
      limits: { samples_burst: 5 },
      desiredConfigVersion: 1,
      updatedAt: "2026-11-21T12:00:01.000Z",
    });
    expect(h.events).toEqual([{ kind: "cluster", name: "c1" }]);

    h.events.length = 0;
    const off = await h.registry.setFlows("c1", { logs: false });
    expect(off).toMatchObject({ logsEnabled: false, metricsEnabled: true, desiredConfigVersion: 2 });
    expect(h.events).toEqual([
      { kind: "cluster", name: "c1" },
      { kind: "config", name: "c1" },
    ]);
    expect(await h.registry.getAgentConfig("c1")).toMatchObject({
      version: 2,
      flows: { metrics: true, logs: false },
    });
    expect(h.registry.cachedCluster("c1")).toMatchObject({ logsEnabled: false });

    // The same values again change nothing.
    h.events.length = 0;
    await h.registry.setFlows("c1", { logs: false });
    await h.registry.updateCluster("c1", { labels: { team: "pay" } });
    expect(h.events).toEqual([]);
    expect((await h.registry.getCluster("c1"))?.desiredConfigVersion).toBe(2);
  });

  it.each<[string, () => Promise<unknown>, string, RegExp]>([
    [
      "an unknown cluster",
      () => h.registry.updateCluster("ghost", { labels: {} }),
      "not_found",
      /"ghost" does not exist/,
    ],
    [
      "a project change",
      () => h.registry.updateCluster("c1", { project: "x" } as never),
      "invalid",
      /project cannot change/,
    ],
    [
      "an unknown flow",
      () => h.registry.setFlows("c1", { traces: true } as never),
      "invalid",
      /unknown flow "traces"/,
    ],
  ])("refuses an update of %s", async (_what, fn, kind, message) => {
    await h.registry.addCluster("c1", { project: "shop" });
    const err = await registryError(fn);
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  it("loads the clusters of an existing store when it opens", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const config = serverConfigSchema.parse({});
    const again = await Registry.open({
      store: h.store,
      ca: h.ca,
      config: config.registry,
      defaultLimits: config.gateway.default_limits,
      logger: new Logger({ write: () => {}, pretty: false }),
    });
    expect(again.cachedCluster("c1")).toEqual(await h.registry.getCluster("c1"));
    expect(again.cachedCluster("c2")).toBeUndefined();
    await again.close();
  });
});

describe("agent configuration", () => {
  const body: AgentRemoteConfigBody = {
    scrape_interval: "30s",
    external_labels: { team: "payments" },
    scrape_configs: [
      { job_name: "app", static_configs: [{ targets: ["app:8080"] }] },
      {
        job_name: "db",
        scrape_interval: "1m",
        scrape_timeout: "20s",
        static_configs: [{ targets: ["db:9187"] }],
      },
    ],
  };

  it("stores a checked body as a new version and emits config", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    h.events.length = 0;
    const config = await h.registry.setAgentConfig("c1", body);
    expect(config).toEqual({
      version: 2,
      cluster: "c1",
      flows: { metrics: true, logs: true },
      certificateGeneration: 0,
      body,
    });
    expect(await h.registry.getAgentConfig("c1")).toEqual(config);
    expect((await h.registry.getCluster("c1"))?.desiredConfigVersion).toBe(2);
    expect(h.events).toEqual([{ kind: "config", name: "c1" }]);
    // Every version is kept.
    expect(
      (await h.store.listAgentConfigs("c1")).map((c) => [c.version, c.body.scrape_configs.length]),
    ).toEqual([
      [1, 0],
      [2, 2],
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    [
      "an unknown field",
      { scrape_configs: [], rule_files: [] },
      /unknown field "rule_files" in the agent config/,
    ],
    ["no scrape_configs", {}, /scrape_configs must be a list/],
    [
      "a bad global duration",
      { scrape_interval: "15", scrape_configs: [] },
      /scrape_interval must be a duration above zero .* got "15"/,
    ],
    [
      "a zero interval",
      { scrape_interval: "0", scrape_configs: [] },
      /scrape_interval must be a duration above zero/,
    ],
    [
      "a global timeout above the interval",
      { scrape_interval: "10s", scrape_timeout: "20s", scrape_configs: [] },
      /scrape_timeout \(20s\) must not be greater than scrape_interval \(10s\)/,
    ],
    [
      "external_labels.cluster",
      { external_labels: { cluster: "x" }, scrape_configs: [] },
      /must not set cluster/,
    ],
    [
      "a bad external label",
      { external_labels: { "a-b": "x" }, scrape_configs: [] },
      /external_labels: "a-b" is not a label name/,
    ],
    [
      "a job field of the wrong type",
      { scrape_configs: [{ job_name: "app", scrape_interval: "soon" }] },
      /scrape_configs\[0\] \(job "app"\): scrape_interval: scrape_interval must be a duration/,
    ],
    [
      "an unknown job field",
      { scrape_configs: [{ job_name: "app", scrape_intervall: "1m" }] },
      /scrape_configs\[0\] \(job "app"\): unknown field "scrape_intervall" in scrape config/,
    ],
    ["a job without a name", { scrape_configs: [{ static_configs: [] }] }, /scrape_configs\[0\]: job_name/],
    [
      "duplicate job names",
      { scrape_configs: [{ job_name: "a" }, { job_name: "b" }, { job_name: "a" }] },
      /scrape_configs\[2\] \(job "a"\): job_name "a" is used by scrape_configs\[0\] too/,
    ],
    [
      "a job timeout above the global interval",
      { scrape_interval: "10s", scrape_configs: [{ job_name: "slow", scrape_timeout: "15s" }] },
      /job "slow"\): scrape_timeout \(15s\) must not be greater than scrape_interval \(10s, the config's global one\)/,
    ],
  ])("refuses %s, naming the job and field, and keeps the version", async (_what, bad, message) => {
    await h.registry.addCluster("c1", { project: "shop" });
    const err = await registryError(() => h.registry.setAgentConfig("c1", bad as AgentRemoteConfigBody));
    expect(err.kind).toBe("invalid");
    expect(err.message).toMatch(message);
    expect((await h.registry.getAgentConfig("c1")).version).toBe(1);
  });

  it("gives concurrent changes distinct versions, in order", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    const results = await Promise.all([
      h.registry.setAgentConfig("c1", { scrape_configs: [{ job_name: "a" }] }),
      h.registry.setFlows("c1", { metrics: false }),
      h.registry.setAgentConfig("c1", { scrape_configs: [{ job_name: "b" }] }),
    ]);
    expect(results.map((r) => ("version" in r ? r.version : r.desiredConfigVersion))).toEqual([2, 3, 4]);
    expect(await h.registry.getAgentConfig("c1")).toMatchObject({
      version: 4,
      flows: { metrics: false, logs: true },
      body: { scrape_configs: [{ job_name: "b" }] },
    });
  });

  it("refuses the config of an unknown cluster", async () => {
    expect((await registryError(() => h.registry.getAgentConfig("ghost"))).kind).toBe("not_found");
    expect((await registryError(() => h.registry.setAgentConfig("ghost", { scrape_configs: [] }))).kind).toBe(
      "not_found",
    );
  });
});

describe("waitAgentConfig (long-poll)", () => {
  const never = () => new AbortController().signal;

  it("answers at once when the agent's version is not the current one", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    expect(await h.registry.waitAgentConfig("c1", 0, 60_000, never())).toMatchObject({ version: 1 });
    expect(h.registry.waitingConfigPolls).toBe(0);
  });

  it("wakes up with the new version when the config changes during the wait", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    await h.registry.addCluster("c2", { project: "shop" });
    const signal = never();
    const waiting = h.registry.waitAgentConfig("c1", 1, 3_600_000, signal);
    const other = h.registry.waitAgentConfig("c2", 1, 3_600_000, signal);
    await vi.waitFor(() => expect(h.registry.waitingConfigPolls).toBe(2));
    await h.registry.setAgentConfig("c1", { scrape_configs: [{ job_name: "x" }] });
    expect(await waiting).toMatchObject({ version: 2, body: { scrape_configs: [{ job_name: "x" }] } });
    // The other cluster's poll goes on waiting.
    expect(h.registry.waitingConfigPolls).toBe(1);
    await h.registry.setFlows("c2", { logs: false });
    expect(await other).toMatchObject({ version: 2, flows: { logs: false } });
    expect(getEventListeners(signal, "abort")).toEqual([]);
  });

  it("answers undefined after the wait, leaving no timer, listener or waiter", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await h.registry.addCluster("c1", { project: "shop" });
    const signal = never();
    const waiting = h.registry.waitAgentConfig("c1", 1, 25_000, signal);
    await vi.waitFor(() => expect(h.registry.waitingConfigPolls).toBe(1));
    expect(vi.getTimerCount()).toBe(1);
    expect(getEventListeners(signal, "abort")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(await waiting).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(signal, "abort")).toEqual([]);
    expect(h.registry.waitingConfigPolls).toBe(0);
  });

  it("rejects with the abort reason, and at once when already aborted, leaving nothing behind", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await h.registry.addCluster("c1", { project: "shop" });
    const ac = new AbortController();
    const waiting = h.registry.waitAgentConfig("c1", 1, 25_000, ac.signal);
    await vi.waitFor(() => expect(h.registry.waitingConfigPolls).toBe(1));
    ac.abort(new Error("client went away"));
    await expect(waiting).rejects.toThrow("client went away");
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(ac.signal, "abort")).toEqual([]);
    expect(h.registry.waitingConfigPolls).toBe(0);
    await expect(h.registry.waitAgentConfig("c1", 1, 25_000, ac.signal)).rejects.toThrow("client went away");
    expect(h.registry.waitingConfigPolls).toBe(0);
  });

  it("rejects for an unknown cluster and ends waiting polls with undefined on close", async () => {
    await expect(h.registry.waitAgentConfig("ghost", 1, 60_000, never())).rejects.toMatchObject({
      kind: "not_found",
    });
    expect(h.registry.waitingConfigPolls).toBe(0);
    await h.registry.addCluster("c1", { project: "shop" });
    const waiting = h.registry.waitAgentConfig("c1", 1, 3_600_000, never());
    await vi.waitFor(() => expect(h.registry.waitingConfigPolls).toBe(1));
    await h.registry.close();
    expect(await waiting).toBeUndefined();
    expect(h.registry.waitingConfigPolls).toBe(0);
  });
});

describe("heartbeats, status and touch", () => {
  const report = (over: Partial<AgentReport> = {}): AgentReport => ({
    cluster: "c1",
    receivedAt: "2026-11-21T12:00:05.000Z",
    appliedConfigVersion: 1,
    agentVersion: "0.1.0",
    bufferedSamples: 10,
    bufferedBytes: 400,
    errors: [],
    ...over,
  });

  it("merges the record, the last report and the live traffic", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    expect(await h.registry.getStatus("c1")).toEqual({ cluster: "c1", desiredConfigVersion: 1 });
    await h.registry.recordHeartbeat(report({ errors: ["job x refused"], certificateSerial: "4F" }));
    const traffic: ClusterTraffic = {
      samplesPerSecond: 12,
      bytesPerSecond: 300,
      logBytesPerSecond: 0,
      rejected: {},
    };
    h.registry.setTrafficSource((c) => (c === "c1" ? traffic : undefined));
    expect(await h.registry.getStatus("c1")).toEqual({
      cluster: "c1",
      desiredConfigVersion: 1,
      appliedConfigVersion: 1,
      agent: report({ errors: ["job x refused"], certificateSerial: "4f" }),
      traffic,
    });
    // A heartbeat counts as traffic.
    expect(h.registry.cachedCluster("c1")?.lastSeenAt).toBe("2026-11-21T12:00:05.000Z");
  });

  it("caps a report's errors and refuses bad fields or an unknown cluster", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    await h.registry.recordHeartbeat(report({ errors: Array.from({ length: 50 }, () => "e".repeat(5000)) }));
    const stored = (await h.registry.getStatus("c1")).agent;
    expect(stored?.errors).toHaveLength(20);
    expect(stored?.errors[0]).toHaveLength(1000);
    expect(
      (await registryError(() => h.registry.recordHeartbeat(report({ bufferedSamples: -1 })))).message,
    ).toMatch(/bufferedSamples must be a whole number/);
    expect((await registryError(() => h.registry.recordHeartbeat(report({ cluster: "ghost" })))).kind).toBe(
      "not_found",
    );
    expect((await registryError(() => h.registry.getStatus("ghost"))).kind).toBe("not_found");
  });

  it("survives a traffic source that throws", async () => {
    await h.registry.addCluster("c1", { project: "shop" });
    h.registry.setTrafficSource(() => {
      throw new Error("boom");
    });
    expect(await h.registry.getStatus("c1")).toEqual({ cluster: "c1", desiredConfigVersion: 1 });
  });

  it("writes lastSeenAt at most once per interval per cluster, batched, and never throws", async () => {
    const writes: { name: string; at: string }[][] = [];
    await h.close();
    h = await startHarness({
      wrap: (store) =>
        new Proxy(store, {
          get(target, key, receiver) {
            if (key === "setLastSeen") {
              return async (entries: { name: string; at: string }[]) => {
                writes.push([...entries]);
                return target.setLastSeen(entries);
              };
            }
            const v = Reflect.get(target, key, receiver);
            return typeof v === "function" ? v.bind(target) : v;
          },
        }) as RegistryStore,
    });
    await h.registry.createProject("shop");
    await h.registry.addCluster("c1", { project: "shop" });
    await h.registry.addCluster("c2", { project: "shop" });

    h.registry.touch("c1");
    h.registry.touch("c2");
    h.advance(2000);
    h.registry.touch("c1"); // within the interval: memory only
    h.registry.touch("ghost");
    expect(h.registry.cachedCluster("c1")?.lastSeenAt).toBe("2026-11-21T12:00:02.000Z");
    await h.registry.flushLastSeen();
    expect(writes).toEqual([
      [
        { name: "c1", at: "2026-11-21T12:00:00.000Z" },
        { name: "c2", at: "2026-11-21T12:00:00.000Z" },
      ],
    ]);
    expect((await h.registry.getCluster("c1"))?.lastSeenAt).toBe("2026-11-21T12:00:00.000Z");

    h.advance(TOUCH_INTERVAL_MS);
    h.registry.touch("c1");
    await h.registry.flushLastSeen();
    expect(writes[1]).toEqual([{ name: "c1", at: "2026-11-21T12:00:12.000Z" }]);

    // A store that fails: touch still does not throw, the flush logs.
    await h.store.close();
    h.advance(TOUCH_INTERVAL_MS);
    expect(() => h.registry.touch("c1")).not.toThrow();
    await h.registry.flushLastSeen();
    expect(h.logs.some((l) => l.msg === "could not record when clusters were last seen")).toBe(true);
  });
});

describe("change listeners", () => {
  it("a listener that throws breaks neither the service nor the other listeners", async () => {
    const unsubscribe = h.registry.onChange(() => {
      throw new Error("listener bug");
    });
    const { cluster } = await h.registry.addCluster("c1", { project: "shop" });
    expect(cluster.name).toBe("c1");
    expect(h.events).toEqual([{ kind: "cluster", name: "c1" }]);
    expect(h.logs.some((l) => l.msg === "a registry change listener failed")).toBe(true);
    unsubscribe();
    await h.registry.updateCluster("c1", { labels: { a: "b" } });
    expect(h.logs.filter((l) => l.msg === "a registry change listener failed")).toHaveLength(1);
  });
});
