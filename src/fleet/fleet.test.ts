import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WRITE_HEADERS, writeBody } from "../test-support/remote-write.js";
import { eventually } from "../test-support/seed.js";
import { Fleet, gatewayPost, metricValue } from "./fleet.testlib.js";

/**
 * The control plane end to end, in one process over real HTTP and mTLS: a seed (registry, gateway,
 * metrics) and agents onboarded from install bundles, driven through the registry as an admin would.
 */

/** Samples of `tenant` stored in the seed. */
function storedSamples(fleet: Fleet, tenant: string): number {
  return fleet.seed!.roles.metrics!.storage.stats().find((s) => s.tenant === tenant)?.samples ?? 0;
}

async function agentMetric(agent: { metrics: { metrics(): Promise<string> } }, name: string, labels = {}) {
  return metricValue(await agent.metrics.metrics(), name, labels);
}

/** A job the seed pushes: scrape `target`'s /metrics. */
const pushedJob = (target: string) => ({ job_name: "pushed", static_configs: [{ targets: [target] }] });

describe("agent configuration from the seed", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await Fleet.start();
  });
  afterAll(() => fleet.stop());

  it("reaches a connected agent within 30 s, survives a seed outage from the cache, and catches up after reconnecting", async () => {
    const { dir } = await fleet.onboard("cfg-1");
    const seedTarget = `127.0.0.1:${fleet.config.server.http_port}`;
    let agent = await fleet.startAgent("cfg-1", dir);
    await eventually(async () => (agent.appliedConfigVersion === 1 ? true : undefined), 30_000, "version 1");

    // A change in the registry reaches the running agent (long-poll) well within 30 s.
    const v2 = await fleet.registry.service.setAgentConfig("cfg-1", {
      scrape_configs: [pushedJob(seedTarget)],
    });
    await eventually(
      async () => (agent.appliedConfigVersion === v2.version ? true : undefined),
      30_000,
      "the connected agent to apply version 2",
    );
    expect(agent.jobNames).toContain("pushed");
    await eventually(
      async () => ((await fleet.query("cfg-1", 'up{job="pushed"}')).length === 1 ? true : undefined),
      30_000,
      "the pushed job's samples in the seed",
    );

    // A change made while the agent is away; then the seed goes down too.
    await agent.stop();
    const v3 = await fleet.registry.service.setAgentConfig("cfg-1", {
      external_labels: { team: "blue" },
      scrape_configs: [pushedJob(seedTarget)],
    });
    await fleet.stopSeed();

    // With the seed down the agent starts from its cached configuration (version 2).
    agent = await fleet.startAgent("cfg-1", dir);
    expect(agent.appliedConfigVersion).toBe(v2.version);
    expect(agent.jobNames).toContain("pushed");

    // The seed comes back: the agent reconnects and applies the version it missed.
    await fleet.startSeed();
    await eventually(
      async () => (agent.appliedConfigVersion === v3.version ? true : undefined),
      30_000,
      "the reconnected agent to apply version 3",
    );
    await eventually(
      async () =>
        (await fleet.query("cfg-1", 'up{job="pushed",team="blue"}')).length === 1 ? true : undefined,
      30_000,
      "samples with the new external label",
    );
    // The registry shows desired vs applied.
    const status = await eventually(async () => {
      const s = await fleet.registry.service.getStatus("cfg-1");
      return s.appliedConfigVersion === v3.version ? s : undefined;
    });
    expect(status.desiredConfigVersion).toBe(v3.version);
  }, 120_000);
});

describe("flows, limits and certificates", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    // A short cap on Retry-After, so the agent retries soon after the limit is raised.
    fleet = await Fleet.start({
      registry: { client_cert_lifetime: "1h" },
      gateway: { max_retry_after: "2s" },
    });
  });
  afterAll(() => fleet.stop());

  it("stops a disabled flow at the agent (nothing sent, nothing buffered) and resumes it", async () => {
    const { dir } = await fleet.onboard("flow-1");
    const agent = await fleet.startAgent("flow-1", dir);
    await eventually(
      async () => (storedSamples(fleet, "flow-1") > 0 ? true : undefined),
      30_000,
      "first data",
    );

    await fleet.registry.service.setFlows("flow-1", { metrics: false });
    await eventually(async () => (agent.metricsFlowEnabled ? undefined : true), 30_000, "the agent to stop");
    await eventually(async () => (agent.queuedSamples === 0 ? true : undefined), 10_000, "an empty queue");
    const before = storedSamples(fleet, "flow-1");
    await new Promise((r) => setTimeout(r, 2_500));
    expect(agent.queuedSamples).toBe(0);
    expect(storedSamples(fleet, "flow-1")).toBe(before);

    await fleet.registry.service.setFlows("flow-1", { metrics: true });
    await eventually(
      async () => (storedSamples(fleet, "flow-1") > before ? true : undefined),
      30_000,
      "samples again after re-enabling",
    );
    expect(agent.metricsFlowEnabled).toBe(true);
  }, 90_000);

  it("answers 429 over a cluster's limit; the agent backs off, keeps its data and delivers it all once the limit is raised", async () => {
    const { dir } = await fleet.onboard("lim-1");
    await fleet.registry.service.updateCluster("lim-1", {
      limits: { samples_per_second: 1, samples_burst: 5 },
    });
    const agent = await fleet.startAgent("lim-1", dir);
    await eventually(
      async () =>
        (await fleet.seedMetric("mirador_gateway_cluster_rejected_total", {
          cluster: "lim-1",
          reason: "rate_limited",
        })) >= 3
          ? true
          : undefined,
      30_000,
      "429s at the gateway",
    );
    expect(await agentMetric(agent, "mirador_agent_remote_write_samples_retried_total")).toBeGreaterThan(0);
    expect(await agentMetric(agent, "mirador_agent_remote_write_samples_dropped_total")).toBe(0);
    expect(agent.queuedSamples).toBeGreaterThan(0);

    await fleet.registry.service.updateCluster("lim-1", { limits: {} });
    await agent.stop(20_000);
    const scraped = await agentMetric(agent, "mirador_agent_samples_scraped_total");
    expect(agent.queuedSamples).toBe(0);
    expect(storedSamples(fleet, "lim-1")).toBe(scraped);
  }, 90_000);

  it("rotates an agent's certificate with no sample lost, and refuses the old certificate once revoked", async () => {
    const { dir, issued } = await fleet.onboard("rot-1");
    const agent = await fleet.startAgent("rot-1", dir);
    await eventually(
      async () => (storedSamples(fleet, "rot-1") > 0 ? true : undefined),
      30_000,
      "first data",
    );
    const first = agent.certificateSerial;
    expect(first).toBe(issued.certificate.serial);

    await fleet.registry.service.rotateCertificates("rot-1", 3_000);
    await eventually(
      async () => (agent.certificateSerial !== first ? true : undefined),
      30_000,
      "the agent to renew its certificate",
    );
    await eventually(
      async () =>
        (await fleet.registry.service.revokedSerials()).some((r) => r.serial === first) ? true : undefined,
      30_000,
      "the old certificate's revocation",
    );
    // The old certificate no longer connects…
    const probe = await gatewayPost(
      fleet.config.gateway.port,
      issued.caPem,
      issued,
      "/api/v1/push",
      writeBody([[{ __name__: "old_cert_probe" }, [[Date.now(), 1]]]]),
      WRITE_HEADERS,
    );
    expect(probe).toHaveProperty("error");
    // …while the agent keeps delivering on its new one.
    const after = storedSamples(fleet, "rot-1");
    await eventually(
      async () => (storedSamples(fleet, "rot-1") > after ? true : undefined),
      30_000,
      "more data",
    );

    await agent.stop(20_000);
    const scraped = await agentMetric(agent, "mirador_agent_samples_scraped_total");
    expect(agent.queuedSamples).toBe(0);
    expect(storedSamples(fleet, "rot-1")).toBe(scraped);
  }, 90_000);
});
