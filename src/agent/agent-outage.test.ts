import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentChild } from "../test-support/agent-child.js";
import { freePort } from "../test-support/processes.js";
import { eventually } from "../test-support/seed.js";
import { type SeedChild, startSeedChild, transpileSeed } from "../test-support/seed-child.js";

/**
 * The agent's no-loss promise, end to end, with real processes: a seed (`mirador server
 * --target=metrics`) and an agent (`mirador agent`), both children run from the sources. A target
 * here counts its answers (`outage_seq`). The seed goes away for a while; in the middle of that
 * outage the agent is restarted (SIGTERM, a new process on the same data directory); then the seed
 * comes back on the same port. Every answer the target served must then be in the seed exactly
 * once, in order — except one whose scrape the stopping agent may have abandoned mid-read.
 *
 * Times are scaled down (1 s scrapes, a few seconds of outage) so that this runs in `npm test`;
 * `npm run bench -- agent` runs the same story at full scale.
 */

const TENANT = "outage";
const SCRAPE_MS = 1_000;

/** One answer of the target: its sequence number and when it was sent. */
interface Served {
  readonly seq: number;
  readonly at: number;
}

class CountingTarget {
  readonly served: Served[] = [];
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const seq = this.served.length + 1;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        `# TYPE outage_seq gauge\noutage_seq ${seq}\n# TYPE outage_work_total counter\noutage_work_total{kind="a"} ${seq * 3}\n`,
        () => this.served.push({ seq, at: Date.now() }),
      );
      void req;
    });
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", r));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }
}

/** Every `outage_seq` sample the seed holds, in time order. */
async function storedSeqs(seed: string): Promise<{ t: number; v: number }[]> {
  const params = new URLSearchParams({ query: "outage_seq[1h]", time: String(Date.now() / 1000) });
  const res = await fetch(`${seed}/api/v1/query?${params}`, { headers: { "X-Scope-OrgID": TENANT } });
  const body = (await res.json()) as { data: { result: { values: [number, string][] }[] } };
  return (body.data.result[0]?.values ?? []).map(([t, v]) => ({ t, v: Number(v) }));
}

describe("the agent across a seed outage and its own restart", () => {
  let dir: string;
  let runner: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirador-agent-outage-"));
    runner = await transpileSeed(join(dir, "bin"));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers every scraped sample exactly once, in order", async () => {
    const target = new CountingTarget();
    const address = await target.start();
    const port = await freePort();
    const seedArgs = ["server", "--target=metrics", "--data-dir", join(dir, "seed")];
    let seed: SeedChild = await startSeedChild(runner, seedArgs, 30_000, port);
    const config = join(dir, "agent.yaml");
    await writeFile(
      config,
      `cluster: outage
remote_write_url: http://127.0.0.1:${port}/api/v1/push
data_dir: ${join(dir, "agent")}
http_port: 0
scrape_interval: 1s
scrape_timeout: 1s
self_scrape: false
host_collector: { enabled: false }
remote_write:
  headers: { X-Scope-OrgID: ${TENANT} }
  sync_interval: 100ms
  queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 500ms }
scrape_configs:
  - job_name: outage
    static_configs: [{ targets: ["${address}"] }]
`,
    );
    let agent = new AgentChild(runner, config);
    let firstOutput = "";
    const abandoned = new Set<number>();
    try {
      await agent.start();
      await eventually(
        async () => ((await storedSeqs(seed.url)).length >= 3 ? true : undefined),
        30_000,
        "data before the outage",
      );

      await seed.stop();
      await new Promise((r) => setTimeout(r, 3 * SCRAPE_MS));
      // Restart the agent in the middle of the outage; a scrape it was reading as it stopped may be lost.
      const stopAt = Date.now();
      await agent.stop();
      const stoppedAt = Date.now();
      firstOutput = agent.output();
      for (const s of target.served)
        if (s.at >= stopAt - SCRAPE_MS / 2 && s.at <= stoppedAt) abandoned.add(s.seq);
      agent = new AgentChild(runner, config);
      await agent.start();
      await new Promise((r) => setTimeout(r, 3 * SCRAPE_MS));

      seed = await startSeedChild(runner, seedArgs, 30_000, port);
      const upTo = target.served.length;
      const stored = await eventually(
        async () => {
          const got = await storedSeqs(seed.url);
          return got.length > 0 && got[got.length - 1]!.v >= upTo ? got : undefined;
        },
        60_000,
        () => `the backlog to reach the seed (target served ${upTo})\n${agent.output()}`,
      );

      const values = stored.map((s) => s.v);
      // In order: time order and answer order agree, each answer once.
      for (let i = 1; i < values.length; i++)
        expect(values[i]!, `sample ${i} of ${values.join(",")}`).toBeGreaterThan(values[i - 1]!);
      const have = new Set(values);
      const missing = target.served
        .map((s) => s.seq)
        .filter((q) => q <= upTo && !have.has(q) && !abandoned.has(q));
      expect(
        missing,
        `answers served but never stored (abandoned: ${[...abandoned].join(",")}); stored ${values.join(",")}\n` +
          `first agent:\n${firstOutput}\nsecond agent:\n${agent.output()}`,
      ).toEqual([]);
      expect(values.every((v) => v <= target.served.length)).toBe(true);
      expect(abandoned.size).toBeLessThanOrEqual(1);
    } finally {
      await agent.stop();
      await seed.stop();
      await target.stop();
    }
  }, 180_000);
});
