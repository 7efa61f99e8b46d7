import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ContainerLogWriter } from "../agent/logs/gen/container-log-writer.js";
import { DemoWorkload } from "./workload.js";

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("DemoWorkload's log", () => {
  it("writes a JSON access line per request, and nothing once stopped with requests in flight", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirador-workload-"));
    dirs.push(dir);
    const writer = new ContainerLogWriter({
      root: dir,
      namespace: "shop",
      pod: "web-0",
      uid: "u",
      container: "web",
    });
    // Every request's latency 1.9 × its route's typical one (no error): /api/search takes ~230 ms.
    vi.spyOn(Math, "random").mockReturnValue(0.9);
    const w = new DemoWorkload("t", 0.001);
    await w.start();
    w.logTo(writer);
    await (await fetch(`http://${w.address}/healthz`)).arrayBuffer();
    // A slow route, still being answered when the workload stops: its line must not be written
    // into a closed log (that threw, unhandled, before).
    const late = fetch(`http://${w.address}/api/search`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5));
    await w.stop();
    await late;
    await new Promise((r) => setTimeout(r, 400));
    const lines = readFileSync(writer.path, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!.split(" stdout F ")[1]!)).toMatchObject({ path: "/healthz", status: 200 });
  });
});
