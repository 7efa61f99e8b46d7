import { parseArgs } from "node:util";
import { type Logger, type LogLevel, stderrLogger } from "../lib/log/logger.js";
import {
  ConfigError,
  envOverrides,
  loadConfig,
  numberOrString,
  serverConfigSchema,
  setPath,
} from "../server/config.js";
import { VERSION } from "../server/version.js";
import { loadAgentConfigFile } from "./agent-config-file.js";

const USAGE = `mirador ${VERSION}: monitoring, logging and alerting for a fleet of Kubernetes clusters

Usage:
  mirador up      [--data-dir DIR] [--http-port N] [--gateway-port N] [--demo-clusters N] [--config FILE]
                  the demo: a seed plus N simulated clusters (default 2), UI at http://127.0.0.1:9700
  mirador server  [--target all|ROLE[,ROLE…]] [--config FILE] [--data-dir DIR] [--http-port N] [--gateway-port N]
                  a seed; roles: registry, metrics, logs, gateway, web (default all)
  mirador agent   --config FILE
                  the agent of one user cluster (relative paths in FILE are read from its directory);
                  run it as mirador-agent --config FILE, which adds the agent's process settings
  mirador project list|add|show|remove …   [--server URL]
                  projects: groups of clusters (mirador project help)
  mirador cluster add|list|show|update|enable|disable|rotate-cert|revoke|remove|config …   [--server URL]
                  register clusters and write their install bundles, change their limits, flows,
                  certificates and agent configuration (mirador cluster help)
  mirador version

Precedence: flags, then MIRADOR_* environment variables, then the config file, then defaults.
Environment: MIRADOR_DATA_DIR, MIRADOR_HTTP_PORT, MIRADOR_GATEWAY_PORT, MIRADOR_LOG_LEVEL,
MIRADOR_LOG_FORMAT=json|pretty; MIRADOR_SERVER (the seed the project and cluster commands talk to,
default http://127.0.0.1:9700).
`;

/** Runs the command line; resolves with the process exit code once the command ends. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "up":
        return await runSeedCommand(rest, true);
      case "server":
        return await runSeedCommand(rest, false);
      case "agent":
        return await runAgent(rest);
      case "project":
      case "cluster": {
        const { runRegistryCommand } = await import("./registry-cli.js");
        return await runRegistryCommand(command, rest);
      }
      case "version":
      case "--version":
        process.stdout.write(`mirador ${VERSION}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`mirador: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (
      err instanceof ConfigError ||
      (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`mirador: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function runSeedCommand(args: readonly string[], demo: boolean): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      config: { type: "string" },
      target: { type: "string" },
      "data-dir": { type: "string" },
      "http-port": { type: "string" },
      "gateway-port": { type: "string" },
      "demo-clusters": { type: "string" },
      "log-level": { type: "string" },
    },
    strict: true,
  });
  if (!demo && values["demo-clusters"] !== undefined)
    throw new ConfigError("--demo-clusters: only `mirador up` runs demo clusters");
  if (demo && values.target !== undefined)
    throw new ConfigError("--target: `mirador up` runs every role; use `mirador server --target …`");
  const flags: Record<string, unknown> = {};
  const put = (path: readonly string[], value: unknown) => setPath(flags, path, value);
  if (values["data-dir"] !== undefined) put(["data_dir"], values["data-dir"]);
  if (values["http-port"] !== undefined) put(["server", "http_port"], numberOrString(values["http-port"]));
  if (values["gateway-port"] !== undefined) put(["gateway", "port"], numberOrString(values["gateway-port"]));
  if (values["demo-clusters"] !== undefined)
    put(["demo", "clusters"], numberOrString(values["demo-clusters"]));
  if (values["log-level"] !== undefined) put(["log_level"], values["log-level"]);
  const config = loadConfig(serverConfigSchema, {
    ...(values.config !== undefined && { file: values.config }),
    env: envOverrides(process.env),
    flags,
  });
  const logger = stderrLogger(config.log_level);
  // Each command loads only what it runs: the agent, in a user cluster, stays small.
  if (demo) {
    const { Demo } = await import("../demo/index.js");
    const d = new Demo(config, logger);
    await d.start();
    logger.info(
      `Mirador is up: open http://${config.server.http_listen_address}:${d.seed.httpPort} — ${config.demo.clusters} demo clusters, data in ${config.data_dir}`,
    );
    return runUntilSignal(logger, () => d.stop());
  }
  const { Seed } = await import("../server/seed.js");
  const seed = new Seed(config, logger, { target: values.target ?? "all" });
  await seed.start();
  return runUntilSignal(logger, () => seed.stop());
}

async function runAgent(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { config: { type: "string" }, "log-level": { type: "string" } },
    strict: true,
  });
  if (values.config === undefined)
    throw new ConfigError(
      "--config: `mirador agent` needs a configuration file (see the agent.yaml of a cluster's install bundle)",
    );
  const config = loadAgentConfigFile(values.config);
  const logger = stderrLogger((values["log-level"] ?? process.env.MIRADOR_LOG_LEVEL ?? "info") as LogLevel);
  if (!config.logs.enabled) {
    // bin/mirador capped V8's young generation for the log path (ADR 16); scraping wants it to grow.
    const { releaseYoungGeneration } = await import("../agent/heap-tuning.js");
    releaseYoungGeneration();
  }
  const { Agent } = await import("../agent/index.js");
  const agent = new Agent(config, logger);
  await agent.start();
  return runUntilSignal(logger, () => agent.stop());
}

/** Waits for SIGTERM or SIGINT, then runs `stop` (drain and flush); a second signal exits at once. */
function runUntilSignal(logger: Logger, stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn("second signal: exiting without waiting", { signal });
        process.exit(1);
      }
      stopping = true;
      logger.info("shutting down: draining requests and flushing", { signal });
      stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error("shutdown failed", { err });
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
