import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../test-support/processes.js";
import { eventually } from "../test-support/seed.js";

const BIN_DIR = fileURLToPath(new URL("../../bin", import.meta.url));
const BIN = join(BIN_DIR, "mirador");
const AGENT_BIN = join(BIN_DIR, "mirador-agent");

/** The built program as a user runs it: other ports and directory, then SIGTERM. */
describe("bin/mirador up", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mirador-cli-e2e-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("serves both demo clusters on the ports it was given and exits cleanly on SIGTERM", async () => {
    const [httpPort, gatewayPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        BIN,
        "up",
        "--data-dir",
        dataDir,
        "--http-port",
        String(httpPort),
        "--gateway-port",
        String(gatewayPort),
      ],
      {
        env: { ...process.env, MIRADOR_LOG_FORMAT: "json" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let log = "";
    child.stderr.on("data", (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const up = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/query?query=up`, {
            headers: { "X-Scope-OrgID": "demo-1" },
          });
          const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
          return body.data.result.length > 0 ? body.data.result : undefined;
        },
        60_000,
        () => `demo-1's data (log: ${log.slice(-2000)})`,
      );
      expect(up.every((r) => r.metric.cluster === "demo-1")).toBe(true);
      const fleet = (await (await fetch(`http://127.0.0.1:${httpPort}/api/mirador/v1/fleet`)).json()) as {
        clusters: { id: string }[];
      };
      expect(fleet.clusters.map((c) => c.id)).toEqual(["demo-1", "demo-2"]);
      expect(existsSync(join(dataDir, "registry", "ca", "ca.key"))).toBe(true);
      expect(existsSync(join(dataDir, "agents", "demo-2", "agent.yaml"))).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const lines = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; role?: string });
    expect(lines.some((l) => l.msg.startsWith("shutting down"))).toBe(true);
    expect(lines.filter((l) => l.msg === "role stopped").map((l) => l.role)).toEqual([
      "web",
      "gateway",
      "logs",
      "metrics",
      "registry",
    ]);
  });
});

/** The agent's launcher, as the Kubernetes manifest runs it: `mirador agent` with its process settings. */
describe("bin/mirador-agent", () => {
  const dir = mkdtempSync(join(tmpdir(), "mirador-agent-e2e-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs `mirador agent` in one node process with its Node option and malloc settings, the operator's winning", async () => {
    const [httpPort, unused] = [await freePort(), await freePort()];
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      `cluster: e2e
remote_write_url: http://127.0.0.1:${unused}/api/v1/push
data_dir: ${join(dir, "data")}
http_port: ${httpPort}
self_scrape: false
host_collector: { enabled: false }
`,
    );
    const child = spawn(AGENT_BIN, ["--config", config], {
      env: { ...process.env, MALLOC_ARENA_MAX: "4", MALLOC_MMAP_THRESHOLD_: undefined },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually(
        async () => ((await fetch(`http://127.0.0.1:${httpPort}/-/ready`)).ok ? true : undefined),
        30_000,
        () => `the agent's readiness (log: ${log.slice(-2000)})`,
      );
      // The shell exec'd node: the child's pid is the agent's.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
      expect(argv[0]).toMatch(/node$/);
      expect(argv.slice(1, 5)).toEqual(["--v8-pool-size=1", join(BIN_DIR, "mirador"), "agent", "--config"]);
      const env = Object.fromEntries(
        readFileSync(`/proc/${child.pid}/environ`, "utf8")
          .split("\0")
          .filter((e) => e.startsWith("MALLOC_"))
          .map((e) => e.split("=") as [string, string]),
      );
      expect(env).toEqual({ MALLOC_ARENA_MAX: "4", MALLOC_MMAP_THRESHOLD_: "131072" });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
