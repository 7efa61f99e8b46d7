import { join, resolve } from "node:path";
import { Agent } from "../agent/index.js";
import { ContainerLogWriter } from "../agent/logs/gen/container-log-writer.js";
import { loadAgentConfigFile } from "../cli/agent-config-file.js";
import { formatDurationMs } from "../lib/duration/duration.js";
import type { Logger } from "../lib/log/logger.js";
import type { ServerConfig } from "../server/config.js";
import { Seed } from "../server/seed.js";
import { ensureDemoAgentConfig, ensureDemoBundle } from "./bundle.js";
import { DemoWorkload } from "./workload.js";

/** The demo's project, holding every demo cluster. */
export const DEMO_PROJECT = "demo";

/** How long the demo waits for an agent to apply its first configuration from the seed. */
const FIRST_CONFIG_WAIT_MS = 10_000;

/**
 * `mirador up`: a whole seed plus `demo.clusters` simulated user clusters in one process. Each
 * cluster `demo-N` is onboarded as `mirador cluster add` would do it — registered in the registry
 * with its own client certificate and install bundle under `<data_dir>/agents/demo-N/` — and runs a
 * real agent from that bundle's `agent.yaml`. The agent scrapes itself and the host; the job of the
 * cluster's small demo workload is pushed to it from the registry as its agent configuration; the
 * workload's access log, written as a container log under `<data_dir>/agents/demo-N/pods/`, is
 * tailed by the agent. It ships metrics and logs over mTLS through the gateway.
 */
export class Demo {
  readonly seed: Seed;
  readonly agents: Agent[] = [];
  readonly workloads: DemoWorkload[] = [];

  constructor(
    readonly config: ServerConfig,
    private readonly logger: Logger,
    opts: { uiDir?: string } = {},
  ) {
    this.seed = new Seed(config, logger, opts);
  }

  /** Starts the seed, then each demo cluster's workload and agent. */
  async start(): Promise<void> {
    await this.seed.start();
    const { registry, gateway } = this.seed.roles;
    if (!registry || !gateway) throw new Error("the demo needs the registry and gateway roles");
    const interval = this.config.demo.scrape_interval;
    const gatewayUrl = `https://127.0.0.1:${gateway.port}`;
    const wanted: number[] = [];
    for (let i = 1; i <= this.config.demo.clusters; i++) {
      const id = `demo-${i}`;
      const workload = new DemoWorkload(id, 5 + 5 * i);
      await workload.start();
      this.workloads.push(workload);
      const dir = join(resolve(this.config.data_dir), "agents", id);
      // The cluster's "node": the workload's container log where a kubelet would put it, tailed by the agent.
      const podsDir = join(dir, "pods");
      workload.logTo(
        new ContainerLogWriter({
          root: podsDir,
          namespace: "shop",
          pod: "web-0",
          uid: `${id}-web-0`,
          container: "web",
        }),
      );
      const bundle = await ensureDemoBundle(registry, id, DEMO_PROJECT, dir, gatewayUrl, {
        http_port: 0,
        scrape_interval: formatDurationMs(interval),
        scrape_timeout: formatDurationMs(Math.min(10_000, interval)),
        logs: { enabled: true, pods: { dir: podsDir } },
      });
      // The workload's job comes from the seed, as an admin would push it with `mirador cluster config set`.
      wanted.push(
        await ensureDemoAgentConfig(registry, id, {
          external_labels: { project: DEMO_PROJECT },
          scrape_configs: [
            {
              job_name: "demo-workload",
              static_configs: [{ targets: [workload.address], labels: { service: "shop" } }],
            },
          ],
        }),
      );
      const agent = new Agent(loadAgentConfigFile(bundle.configFile), this.logger);
      await agent.start();
      this.agents.push(agent);
    }
    // A first scrape once each agent runs its configuration from the seed, so the UI shows data
    // before the first interval passes.
    await Promise.all(
      this.agents.map(async (agent, i) => {
        const deadline = Date.now() + FIRST_CONFIG_WAIT_MS;
        while ((agent.appliedConfigVersion ?? 0) < wanted[i]! && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        await agent.scrapeAll();
      }),
    );
  }

  /** Stops agents (flushing what they hold), workloads, then the seed. */
  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await Promise.all(this.workloads.map((w) => w.stop()));
    await this.seed.stop();
  }
}
