import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LOG_INGEST_LIMITS } from "../logs/ingest/index.js";
import { agentConfigSchema, ConfigError, envOverrides, loadConfig, serverConfigSchema } from "./config.js";

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "mirador-config-")), "mirador.yaml");
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills every default from an empty file", () => {
    const cfg = loadConfig(serverConfigSchema, { file: file("") });
    expect(cfg.server.http_port).toBe(9700);
    expect(cfg.gateway.port).toBe(9701);
    expect(cfg.data_dir).toBe("./data");
    expect(cfg.demo.clusters).toBe(2);
    expect(cfg.server.shutdown_grace).toBe(10_000);
  });

  it("gives the logs role Loki's limits, durations read from strings, and per-tenant overrides", () => {
    const cfg = loadConfig(serverConfigSchema, {
      file: file(
        "logs:\n  limits:\n    creation_grace_period: 1m\n  tenant_limits:\n    demo-1: {max_line_size: 1024, reject_old_samples_max_age: 1h}\n",
      ),
    });
    expect(cfg.logs.limits).toEqual({
      ...DEFAULT_LOG_INGEST_LIMITS,
      creation_grace_period: 60_000,
      ingestion_rate_mb: 4,
      ingestion_burst_size_mb: 6,
      max_global_streams_per_user: 5000,
      retention_period: 744 * 3_600_000,
      retention_size: 0,
    });
    expect(cfg.logs.tenant_limits["demo-1"]).toEqual({
      max_line_size: 1024,
      reject_old_samples_max_age: 3_600_000,
    });
    expect(cfg.logs.max_entries_limit_per_query).toBe(5000);
    expect(
      errorOf(() => loadConfig(serverConfigSchema, { file: file("logs:\n  limits:\n    max_lines: 1\n") })),
    ).toContain("logs.limits: unknown key");
  });

  it("lets the file override defaults, the environment override the file, and flags override both", () => {
    const path = file("data_dir: /from/file\nserver:\n  http_port: 8000\ngateway:\n  port: 8001\n");
    const fromFile = loadConfig(serverConfigSchema, { file: path });
    expect([fromFile.data_dir, fromFile.server.http_port, fromFile.gateway.port]).toEqual([
      "/from/file",
      8000,
      8001,
    ]);
    const env = envOverrides({ MIRADOR_HTTP_PORT: "8100", MIRADOR_DATA_DIR: "/from/env" });
    const withEnv = loadConfig(serverConfigSchema, { file: path, env });
    expect([withEnv.data_dir, withEnv.server.http_port, withEnv.gateway.port]).toEqual([
      "/from/env",
      8100,
      8001,
    ]);
    const withFlags = loadConfig(serverConfigSchema, {
      file: path,
      env,
      flags: { server: { http_port: 8200 } },
    });
    expect([withFlags.data_dir, withFlags.server.http_port]).toEqual(["/from/env", 8200]);
  });

  it.each([
    ["server:\n  http_port: nine\n", "server.http_port", "number"],
    ["server:\n  http_port: 70000\n", "server.http_port", "65535"],
    ["gateway:\n  prot: 1\n", "gateway", '"prot"'],
    ["metrics:\n  limits:\n    retention: forever\n", "metrics.limits.retention", "duration"],
    ["log_level: loud\n", "log_level", "debug"],
    ["demo:\n  clusters: -1\n", "demo.clusters", ">=0"],
  ])("names the key in %j", (yaml, key, expected) => {
    const path = file(yaml);
    const msg = errorOf(() => loadConfig(serverConfigSchema, { file: path }));
    expect(msg).toContain(path);
    expect(msg).toContain(`${key}:`);
    expect(msg).toContain(expected);
  });

  it("reports an environment variable that is not a number", () => {
    const msg = errorOf(() =>
      loadConfig(serverConfigSchema, { env: envOverrides({ MIRADOR_GATEWAY_PORT: "abc" }) }),
    );
    expect(msg).toContain("gateway.port:");
  });

  it("reports unreadable and non-YAML files", () => {
    expect(errorOf(() => loadConfig(serverConfigSchema, { file: "/nonexistent/mirador.yaml" }))).toContain(
      "cannot read config file /nonexistent/mirador.yaml",
    );
    expect(errorOf(() => loadConfig(serverConfigSchema, { file: file("a: [1,\n") }))).toContain(
      "not valid YAML",
    );
    expect(errorOf(() => loadConfig(serverConfigSchema, { file: file("- 1\n- 2\n") }))).toContain(
      "mapping at the top level",
    );
  });

  it("validates agent configurations and names nested keys", () => {
    const path = file(
      "cluster: c1\nremote_write_url: https://127.0.0.1:9701/api/v1/push\ntls: {cert_file: a, key_file: b, ca_file: c}\nscrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: [1]\n",
    );
    const msg = errorOf(() => loadConfig(agentConfigSchema, { file: path }));
    expect(msg).toContain("scrape_configs.0.static_configs.0.targets.0:");
  });
});
