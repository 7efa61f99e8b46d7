import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, Server } from "../../metrics/bench/peers.js";

/**
 * The three agents of the benchmark, each scraping the same targets every `intervalSeconds` and
 * remote-writing to the same receiver, with the external label `bench_agent="<name>"` so that the
 * receiver tells their data apart. Each keeps whatever it buffers under its own directory, which
 * the benchmark measures during the outage.
 */

/** What the benchmark needs of a running agent. */
export interface RunningAgent {
  readonly pid: number;
  /** The directory holding what the agent buffers while the receiver is away. */
  readonly bufferDir: string;
  stop(): Promise<void>;
}

/** How to start one agent. */
export interface AgentSpec {
  readonly name: string;
  /** Why the agent cannot run here, or undefined when it can. */
  missing(): string | undefined;
  start(run: AgentRun): Promise<RunningAgent>;
}

/** One agent's run: its working directory, the targets, the receiver. */
export interface AgentRun {
  readonly dir: string;
  readonly targets: readonly string[];
  readonly writeUrl: string;
  readonly intervalSeconds: number;
}

/** The agent as deployed: `mirador agent` with the agent's Node options (ADR 17). */
const MIRADOR_BIN = fileURLToPath(new URL("../../../bin/mirador-agent", import.meta.url));

async function launch(what: string, cmd: string, args: string[], readyPath: string, port: number) {
  const server = new Server(what, cmd, args, `http://127.0.0.1:${port}${readyPath}`);
  await server.start(60_000);
  return server;
}

function targetsYaml(targets: readonly string[]): string {
  return targets.map((t) => `          - ${t}`).join("\n");
}

export const MIRADOR_AGENT: AgentSpec = {
  name: "mirador",
  missing: () => (existsSync(MIRADOR_BIN) ? undefined : `${MIRADOR_BIN} is missing (npm run build)`),
  async start(run) {
    const port = await freePort();
    const data = join(run.dir, "mirador-agent");
    mkdirSync(data, { recursive: true });
    const config = join(run.dir, "agent.yaml");
    writeFileSync(
      config,
      `# written by the agent benchmark
cluster: bench
remote_write_url: ${run.writeUrl}
data_dir: ${data}
http_listen_address: 127.0.0.1
http_port: ${port}
scrape_interval: ${run.intervalSeconds}s
scrape_timeout: ${Math.min(10, run.intervalSeconds)}s
self_scrape: false
host_collector: { enabled: false }
external_labels: { bench_agent: mirador }
scrape_configs:
  - job_name: bench
    static_configs:
      - targets:
${targetsYaml(run.targets)}
`,
    );
    const server = await launch("mirador-agent", MIRADOR_BIN, [`--config=${config}`], "/-/ready", port);
    return { pid: server.pid, bufferDir: data, stop: () => server.end("SIGTERM", 30_000) };
  },
};

export const VMAGENT: AgentSpec = {
  name: "vmagent",
  missing: () =>
    existsSync("/usr/bin/vmagent")
      ? undefined
      : "vmagent is not installed (apt-get install victoria-metrics)",
  async start(run) {
    const port = await freePort();
    const buffer = join(run.dir, "vmagent-data");
    const config = join(run.dir, "scrape.yml");
    writeFileSync(
      config,
      `global:
  scrape_interval: ${run.intervalSeconds}s
scrape_configs:
  - job_name: bench
    static_configs:
      - targets:
${targetsYaml(run.targets)}
`,
    );
    const server = await launch(
      "vmagent",
      "/usr/bin/vmagent",
      [
        `-promscrape.config=${config}`,
        `-remoteWrite.url=${run.writeUrl}`,
        `-remoteWrite.tmpDataPath=${buffer}`,
        "-remoteWrite.label=bench_agent=vmagent",
        `-httpListenAddr=127.0.0.1:${port}`,
        "-loggerLevel=WARN",
      ],
      "/health",
      port,
    );
    return { pid: server.pid, bufferDir: buffer, stop: () => server.end("SIGTERM", 30_000) };
  },
};

export const PROMETHEUS_AGENT: AgentSpec = {
  name: "prometheus_agent",
  missing: () =>
    existsSync("/usr/bin/prometheus")
      ? undefined
      : "prometheus is not installed (apt-get install prometheus)",
  async start(run) {
    const port = await freePort();
    const data = join(run.dir, "prometheus-agent");
    const config = join(run.dir, "prometheus.yml");
    writeFileSync(
      config,
      `global:
  scrape_interval: ${run.intervalSeconds}s
  external_labels: { bench_agent: prometheus_agent }
scrape_configs:
  - job_name: bench
    static_configs:
      - targets:
${targetsYaml(run.targets)}
remote_write:
  - url: ${run.writeUrl}
`,
    );
    const server = await launch(
      "prometheus agent",
      "/usr/bin/prometheus",
      [
        "--enable-feature=agent",
        `--config.file=${config}`,
        `--storage.agent.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      "/-/ready",
      port,
    );
    return { pid: server.pid, bufferDir: data, stop: () => server.end("SIGTERM", 60_000) };
  },
};
