import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../agent/index.js";
import { nopLogger } from "../lib/log/logger.js";
import { type ServedApi, serveRegistryApi } from "../registry/api/api-harness.testlib.js";
import { eventually, startTestSeed } from "../test-support/seed.js";
import { loadAgentConfigFile } from "./agent-config-file.js";
import { runCli } from "./cli.testlib.js";

const run = runCli;

/** The whole path a new cluster takes: `mirador cluster add`, then the bundle's agent ships to the seed. */
describe("onboarding a cluster with mirador cluster add", () => {
  let seed: Awaited<ReturnType<typeof startTestSeed>>;
  let api: ServedApi;
  let agent: Agent | undefined;
  const work = mkdtempSync(join(tmpdir(), "mirador-onboarding-"));

  beforeAll(async () => {
    seed = await startTestSeed();
    const { registry, gateway } = seed.seed.roles;
    api = await serveRegistryApi(registry!.service, {
      caPem: () => registry!.ca.certPem,
      gatewayUrl: () => `https://127.0.0.1:${gateway!.port}`,
    });
  });
  afterAll(async () => {
    await agent?.stop(1_000);
    await api?.stop();
    await seed?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("writes a bundle whose agent ships the cluster's metrics over mTLS", async () => {
    const dir = join(work, "edge-1");
    const added = await run(
      "cluster",
      "add",
      "edge-1",
      "--project",
      "edge",
      "--create-project",
      "--output",
      dir,
      "--server",
      api.url,
    );
    expect(added.code, added.err).toBe(0);
    const cfg = loadAgentConfigFile(join(dir, "agent.yaml"));
    // The bundle runs as written; only the agent's own port moves off 9702 for the test.
    agent = new Agent({ ...cfg, http_port: 0 }, nopLogger);
    await agent.start();
    await agent.scrapeAll();
    const up = await eventually(
      async () => {
        const res = await fetch(`${seed.url}/api/v1/query?query=${encodeURIComponent('up{job="node"}')}`, {
          headers: { "X-Scope-OrgID": "edge-1" },
        });
        const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
        return body.data.result.length > 0 ? body.data.result : undefined;
      },
      30_000,
      "edge-1's host metrics",
    );
    expect(up[0]!.metric.cluster).toBe("edge-1");
    const shown = await eventually(
      async () => {
        const r = await run("cluster", "show", "edge-1", "-o", "json", "--server", api.url);
        const body = JSON.parse(r.out) as { cluster: { last_seen_at: string | null } };
        return body.cluster.last_seen_at !== null ? body : undefined;
      },
      20_000,
      "the gateway to note edge-1's last contact",
    );
    expect(Date.parse(shown.cluster.last_seen_at!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("shows the agent's heartbeat: the configuration version it applied", async () => {
    const status = await eventually(
      async () => {
        const r = await run("cluster", "show", "edge-1", "-o", "json", "--server", api.url);
        const body = JSON.parse(r.out) as {
          status: { in_sync: boolean; agent: { agent_version: string } | null };
        };
        return body.status.in_sync && body.status.agent !== null ? body.status : undefined;
      },
      30_000,
      "edge-1's agent to report the version it runs",
    );
    expect(status.agent!.agent_version).toMatch(/^\d+\.\d+\.\d+/);
    const table = await run("cluster", "show", "edge-1", "--server", api.url);
    expect(table.out).toMatch(/^config version:\s+desired (\d+), applied \1 \(in sync\)$/m);
    expect(table.out).toMatch(/^agent:\s+\S+, heartbeat \d+s ago/m);
  });
});
