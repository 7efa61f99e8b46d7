import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { Agent } from "../agent/index.js";
import { loadAgentConfigFile } from "../cli/agent-config-file.js";
import { nopLogger } from "../lib/log/logger.js";
import { hostAgentConfig, installBundle, writeBundle } from "../registry/bundle/index.js";
import type { IssuedBundleCertificate } from "../registry/model.js";
import { deepMerge, loadConfig, type ServerConfig, serverConfigSchema } from "../server/config.js";
import { Seed } from "../server/seed.js";
import { freePort } from "../test-support/processes.js";

/**
 * A seed on fixed free ports in its own data dir, which a test can stop and start again (the
 * agents see the same gateway address), and agents onboarded the way `mirador cluster add` does.
 */
export class Fleet {
  seed: Seed | undefined;
  readonly agents: Agent[] = [];
  readonly #dirs: string[] = [];

  private constructor(readonly config: ServerConfig) {}

  static async start(overrides: Record<string, unknown> = {}): Promise<Fleet> {
    const dataDir = mkdtempSync(join(tmpdir(), "mirador-fleet-"));
    const base = {
      data_dir: dataDir,
      server: { http_port: await freePort(), shutdown_grace: "1s" },
      gateway: { port: await freePort() },
      registry: { janitor_interval: "1s" },
    };
    const fleet = new Fleet(loadConfig(serverConfigSchema, { flags: deepMerge(base, overrides) }));
    fleet.#dirs.push(dataDir);
    await fleet.startSeed();
    return fleet;
  }

  get url(): string {
    return `http://127.0.0.1:${this.config.server.http_port}`;
  }

  get gatewayUrl(): string {
    return `https://127.0.0.1:${this.config.gateway.port}`;
  }

  get registry() {
    const registry = this.seed?.roles.registry;
    if (!registry) throw new Error("the seed is not running");
    return registry;
  }

  async startSeed(): Promise<void> {
    this.seed = new Seed(this.config, nopLogger);
    await this.seed.start();
  }

  async stopSeed(): Promise<void> {
    await this.seed?.stop();
    this.seed = undefined;
  }

  /** Registers `name` (and project `p`) and writes its install bundle; returns the bundle's dir. */
  async onboard(name: string): Promise<{ dir: string; issued: IssuedBundleCertificate }> {
    const service = this.registry.service;
    if ((await service.getProject("p")) === undefined) await service.createProject("p");
    const { issued } = await service.addCluster(name, { project: "p" });
    const dir = mkdtempSync(join(tmpdir(), `mirador-bundle-${name}-`));
    this.#dirs.push(dir);
    writeBundle(
      dir,
      installBundle({
        cluster: { name, project: "p" },
        certPem: issued.certPem,
        keyPem: issued.keyPem,
        caPem: issued.caPem,
        gatewayUrl: this.gatewayUrl,
        dir,
      }),
    );
    return { dir, issued };
  }

  /**
   * Starts an agent from the bundle in `dir` with a fast schedule: the bundle's agent.yaml (as
   * `cluster add` wrote it) plus `overrides`, written back to the file the agent reads.
   */
  async startAgent(cluster: string, dir: string, overrides: Record<string, unknown> = {}): Promise<Agent> {
    const base = hostAgentConfig({ cluster, gatewayUrl: this.gatewayUrl });
    const fast = {
      http_port: 0,
      host_collector: { enabled: false },
      scrape_interval: "1s",
      scrape_timeout: "1s",
      control: { poll_wait: "5s", heartbeat_interval: "1s" },
      remote_write: {
        queue_config: { batch_send_deadline: "200ms", min_backoff: "100ms", max_backoff: "1s" },
      },
    };
    const file = join(dir, "agent.yaml");
    writeFileSync(file, stringify(deepMerge(deepMerge(base, fast), overrides)));
    const agent = new Agent(loadAgentConfigFile(file), nopLogger);
    await agent.start();
    this.agents.push(agent);
    return agent;
  }

  /** Stops the agents, the seed and removes every directory. */
  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop(1_000)));
    await this.stopSeed();
    for (const d of this.#dirs) rmSync(d, { recursive: true, force: true });
  }

  /** An instant query for `tenant`. */
  async query(
    tenant: string,
    q: string,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(q)}`, {
      headers: { "X-Scope-OrgID": tenant },
    });
    if (res.status !== 200) throw new Error(`query ${q}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: { result: never[] } }).data.result;
  }

  /** The value of one series of the seed's /metrics, 0 when absent. */
  async seedMetric(name: string, labels: Record<string, string>): Promise<number> {
    return metricValue(await (await fetch(`${this.url}/metrics`)).text(), name, labels);
  }
}

/** The value of the series `name{labels…}` (labels a subset) in a Prometheus text exposition; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** A raw HTTPS POST to the gateway with a client identity; the status or the handshake error. */
export function gatewayPost(
  port: number,
  ca: string,
  identity: { certPem: string; keyPem: string } | undefined,
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<
  { status: number; text: string; headers: Record<string, string | string[] | undefined> } | { error: string }
> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        ca,
        ...(identity && { cert: identity.certPem, key: identity.keyPem }),
        headers,
        agent: false,
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
        res.on("error", (err) => resolve({ error: err.message }));
      },
    );
    req.on("error", (err) => resolve({ error: err.message }));
    req.end(body);
  });
}
