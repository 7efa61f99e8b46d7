import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { Logger } from "../../lib/log/logger.js";
import { agentConfigSchema } from "../../server/config.js";
import { eventually } from "../../test-support/seed.js";
import { FixtureApiServer } from "../discovery/kubernetes/fixture-api-server.js";
import { pod } from "../discovery/kubernetes/fixture-objects.js";
import { ContainerLogWriter } from "./gen/container-log-writer.js";
import { LogCollector } from "./log-collector.js";
import { TestLoki } from "./ship/ship.testlib.js";

const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The `logs` section as the agent's schema resolves it from YAML-like input. */
function logsConfig(logs: Record<string, unknown>) {
  return agentConfigSchema.parse({ cluster: "c1", remote_write_url: "http://127.0.0.1:1/api/v1/push", logs })
    .logs;
}

async function start(logs: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "mirador-log-collector-"));
  dirs.push(dir);
  const loki = new TestLoki();
  await loki.start();
  stops.push(() => loki.close());
  const metrics = new Registry();
  const pods = { dir: join(dir, "pods"), ...(logs.pods as object | undefined) };
  const cfg = logsConfig({ batch_wait: "100ms", ...logs, pods });
  const collector = await LogCollector.open(cfg, {
    logger: new Logger({ write: () => {}, pretty: false }, "error"),
    metrics,
    dataDir: join(dir, "agent"),
    url: loki.url,
    externalLabels: { cluster: "c1", region: "eu" },
    node: "node-1",
  });
  collector.start(100);
  stops.push(() => collector.stop(1_000));
  return { dir, loki, metrics };
}

describe("LogCollector", () => {
  it("labels container lines from the path, the node and the agent, runs the stages, and marks malformed lines", async () => {
    const { dir, loki, metrics } = await start({
      pods: {
        pipeline_stages: [{ json: { expressions: { level: "level" } } }, { labels: { level: "" } }],
      },
    });
    const w = new ContainerLogWriter({
      root: join(dir, "pods"),
      namespace: "shop",
      pod: "web-0",
      uid: "u1",
      container: "app",
    });
    w.write(`{"level":"info","msg":"hello"}`, "stdout");
    w.write("plain text", "stderr");
    w.flush();
    appendFileSync(w.path, "not a CRI record\n");
    await eventually(
      async () => (loki.got.length === 3 ? true : undefined),
      10_000,
      () => `three lines pushed, got ${JSON.stringify(loki.got.map((g) => [g.stream, g.line]))}`,
    );
    const byLine = new Map(loki.got.map((g) => [g.line, g.stream]));
    expect(byLine.get('{"level":"info","msg":"hello"}')).toBe(
      '{cluster="c1", container="app", level="info", namespace="shop", node="node-1", pod="web-0", region="eu", stream="stdout"}',
    );
    // Not JSON: on with log_error from the json stage.
    expect(byLine.get("plain text")).toBe(
      '{cluster="c1", container="app", log_error="json", namespace="shop", node="node-1", pod="web-0", region="eu", stream="stderr"}',
    );
    // Not CRI: the whole line, marked by the tailer (the json stage does not overwrite the first error).
    expect(byLine.get("not a CRI record")).toBe(
      '{cluster="c1", container="app", log_error="cri", namespace="shop", node="node-1", pod="web-0", region="eu"}',
    );
    const detail = loki.got.find((g) => g.line === "not a CRI record")?.metadata;
    expect(detail).toEqual([["log_error_detail", expect.stringMatching(/^cri: /)]]);
    const text = await metrics.metrics();
    expect(text).toMatch(/mirador_agent_logs_files_watched 1/);
    expect(text).toMatch(/mirador_agent_logs_read_lines_total 3/);
    expect(text).toMatch(/mirador_agent_logs_malformed_lines_total 1/);
  });

  it("tails node files with their labels and filename, and counts pipeline drops", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirador-log-collector-node-"));
    dirs.push(dir);
    mkdirSync(join(dir, "var"));
    const syslog = join(dir, "var", "syslog");
    appendFileSync(syslog, "Nov 21 10:00:00 host kernel: boot\nNov 21 10:00:01 host cron: DEBUG noise\n");
    const { loki, metrics } = await start({
      pods: { enabled: false },
      files: [
        {
          path: join(dir, "var", "sys*"),
          labels: { job: "syslog" },
          pipeline_stages: [{ drop: { expression: "DEBUG" } }],
        },
      ],
    });
    await eventually(async () => (loki.got.length === 1 ? true : undefined), 10_000, "one line pushed");
    expect(loki.got[0]!.line).toBe("Nov 21 10:00:00 host kernel: boot");
    expect(loki.got[0]!.stream).toBe(`{cluster="c1", filename="${syslog}", job="syslog", region="eu"}`);
    await eventually(
      async () =>
        /mirador_agent_logs_pipeline_dropped_total\{reason="drop_stage"\} 1/.test(await metrics.metrics())
          ? true
          : undefined,
      5_000,
      "the drop counted",
    );
  });

  it("adds the pod labels that relabel_configs pick from the Kubernetes API, and drops what they drop", async () => {
    const api = await FixtureApiServer.start();
    stops.push(() => api.close());
    api.apply(pod("shop", "web-1", { labels: { app: "web", tier: "front" } }));
    api.apply(pod("kube-system", "coredns", { labels: { app: "dns" } }));
    const dir = mkdtempSync(join(tmpdir(), "mirador-log-collector-k8s-"));
    dirs.push(dir);
    const { loki, metrics } = await start({
      pods: {
        dir: join(dir, "pods"),
        kubernetes: { kubeconfig_file: api.writeKubeconfig(dir) },
        relabel_configs: [
          { action: "drop", source_labels: ["__meta_kubernetes_namespace"], regex: "kube-system" },
          { action: "labelmap", regex: "__meta_kubernetes_pod_label_(app|tier)" },
          // A rule may not rename what the path says.
          { target_label: "pod", replacement: "renamed" },
        ],
      },
    });
    const writer = (namespace: string, name: string) =>
      new ContainerLogWriter({
        root: join(dir, "pods"),
        namespace,
        pod: name,
        uid: `uid-${namespace}-${name}`,
        container: "app",
      });
    const web = writer("shop", "web-1");
    const dns = writer("kube-system", "coredns");
    web.write("served /", "stdout");
    dns.write("resolved", "stdout");
    web.flush();
    dns.flush();
    await eventually(async () => (loki.got.length === 1 ? true : undefined), 10_000, "one line pushed");
    expect(loki.got[0]).toMatchObject({
      line: "served /",
      stream:
        '{app="web", cluster="c1", container="app", namespace="shop", node="node-1", pod="web-1", region="eu", stream="stdout", tier="front"}',
    });
    await eventually(
      async () =>
        /mirador_agent_logs_pipeline_dropped_total\{reason="relabel_drop"\} 1/.test(await metrics.metrics())
          ? true
          : undefined,
      5_000,
      "the relabel drop counted",
    );
    // The pod's labels change: its next lines carry the new ones.
    api.apply(pod("shop", "web-1", { labels: { app: "web", tier: "back" } }));
    await eventually(
      async () => {
        web.write(`served again ${loki.got.length}`, "stdout");
        web.flush();
        return loki.got.some((g) => g.stream.includes('tier="back"')) ? true : undefined;
      },
      10_000,
      "a line with the new labels",
    );
    expect(loki.got.every((g) => g.stream.includes('pod="web-1"'))).toBe(true);
    web.close();
    dns.close();
  });

  it("refuses relabel_configs without kubernetes, naming both settings", () => {
    expect(() => logsConfig({ pods: { relabel_configs: [{ action: "labelmap", regex: "x" }] } })).toThrow(
      /logs\.pods\.relabel_configs.*logs\.pods\.kubernetes/,
    );
  });

  it("refuses to start on a damaged positions file, naming it, and opens the same directory once it is gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirador-log-collector-fail-"));
    dirs.push(dir);
    mkdirSync(join(dir, "agent", "logs"), { recursive: true });
    writeFileSync(join(dir, "agent", "logs", "positions.json"), "{ not json");
    const deps = {
      logger: new Logger({ write: () => {}, pretty: false }, "error"),
      metrics: new Registry(),
      dataDir: join(dir, "agent"),
      url: "http://127.0.0.1:1",
      externalLabels: { cluster: "c1" },
      node: "node-1",
    };
    const cfg = logsConfig({ pods: { dir: join(dir, "pods") } });
    await expect(LogCollector.open(cfg, deps)).rejects.toThrow(/positions\.json.*not JSON/);
    rmSync(join(dir, "agent", "logs", "positions.json"));
    const again = await LogCollector.open(cfg, { ...deps, metrics: new Registry() });
    await again.stop(0);
  });

  it("refuses a bad stage, naming where it is", async () => {
    await expect(start({ pods: { pipeline_stages: [{ regex: { expression: "(" } }] } })).rejects.toThrow(
      /logs\.pods\.pipeline_stages\[0\]\.regex\.expression/,
    );
  });
});
