import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestDemo } from "../test-support/seed.js";

/** `promtool check metrics` (Debian's prometheus package) lints what our /metrics endpoints expose. */
describe("self-metrics pass promtool check metrics", () => {
  let s: Awaited<ReturnType<typeof startTestDemo>>;
  beforeAll(async () => {
    s = await startTestDemo({ demo: { clusters: 1 } });
  });
  afterAll(() => s?.stop());

  function promtoolCheck(text: string): { status: number | null; output: string } {
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    if (r.error) throw r.error;
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  it("accepts the seed's /metrics", async () => {
    const text = await eventually(async () => {
      const t = await (await fetch(`${s.url}/metrics`)).text();
      return t.includes("mirador_ingest_samples_total") ? t : undefined;
    });
    expect(promtoolCheck(text)).toEqual({ status: 0, output: "" });
  });

  it("accepts the agent's /metrics and the demo workload's", async () => {
    const agent = await (await fetch(`http://127.0.0.1:${s.demo.agents[0]!.httpPort}/metrics`)).text();
    expect(promtoolCheck(agent)).toEqual({ status: 0, output: "" });
    const workload = await (await fetch(`http://${s.demo.workloads[0]!.address}/metrics`)).text();
    expect(promtoolCheck(workload)).toEqual({ status: 0, output: "" });
  });
});
