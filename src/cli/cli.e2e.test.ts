import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../test-support/processes.js";
import { eventually } from "../test-support/seed.js";

const BIN = fileURLToPath(new URL("../../bin/mirador", import.meta.url));

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
