import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentChild } from "../../test-support/agent-child.js";
import { freePort } from "../../test-support/processes.js";
import { eventually } from "../../test-support/seed.js";
import { type SeedChild, startSeedChild, transpileSeed } from "../../test-support/seed-child.js";
import { ContainerLogWriter, type RotationStyle } from "./gen/container-log-writer.js";

/**
 * The log side's no-loss promise, end to end, with real processes: a seed (`mirador server
 * --target=logs`) and an agent (`mirador agent`) tailing container log files that a generator
 * writes in the CRI format and rotates every 32 KiB — one container by rename-and-create, one by
 * copy-and-truncate, one never. The seed goes away for a while; in the middle of that outage the
 * agent is restarted (SIGTERM, a new process on the same data directory); then the seed comes back.
 * Every generated line must then be in the seed exactly once, in order per stream.
 *
 * Renamed files pile up while the agent is down (several rotations: the restarted agent must read
 * the ones in between). Copy-and-truncate loses whatever the reader had not read when the file is
 * truncated, in every tailer (Promtail's documentation says the same); the generator therefore
 * truncates only once the agent's saved position has reached the end of the file, and never while
 * the agent is down. After a truncation it waits for the saved position to show that the agent saw
 * it (an offset back below the truncated size): a file refilled to exactly the old size would
 * otherwise look read to the end while the agent had not even noticed the truncation, and until then
 * the file is not refilled past half that size. Scaled down to run in `npm test`; `npm run bench -- agent-logs` runs at full rate.
 */

const TENANT = "logloss";
const LINES_PER_TICK = 8;
const TICK_MS = 50;
const ROTATE_BYTES = 32 * 1024;

interface Container {
  readonly name: string;
  readonly writer: ContainerLogWriter;
  readonly rotation: RotationStyle | "none";
  written: number;
  /** File size at the last copy-and-truncate, until the agent's saved position went below it. */
  truncatedAt?: number | undefined;
}

/** The saved position of `path` in the agent's positions file, or -1. */
function savedOffset(agentDir: string, path: string): number {
  try {
    const doc = JSON.parse(readFileSync(join(agentDir, "logs", "positions.json"), "utf8")) as {
      positions: Record<string, { offset: number }>;
    };
    return doc.positions[path]?.offset ?? -1;
  } catch {
    return -1;
  }
}

/** Every line the seed holds for `container`, oldest first. */
async function storedLines(seed: string, container: string, startNs: bigint): Promise<string[]> {
  const params = new URLSearchParams({
    query: `{container="${container}"}`,
    start: String(startNs),
    end: String(BigInt(Date.now() + 60_000) * 1_000_000n),
    limit: "5000",
    direction: "forward",
  });
  const res = await fetch(`${seed}/loki/api/v1/query_range?${params}`, {
    headers: { "X-Scope-OrgID": TENANT },
  });
  if (res.status !== 200) throw new Error(`query_range answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
  const values = body.data.result.flatMap((r) => r.values);
  values.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : BigInt(a[0]) > BigInt(b[0]) ? 1 : 0));
  return values.map(([, line]) => line);
}

/** `[1,2,3,7]` as `1-3,7`. */
function ranges(xs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    out.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return out.join(",") || "none";
}

describe("the agent's logs across a seed outage and its own restart", () => {
  let dir: string;
  let runner: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirador-agent-logs-outage-"));
    runner = await transpileSeed(join(dir, "bin"));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers every line written exactly once, in order per stream, through rotations", async () => {
    const podsDir = join(dir, "pods");
    const agentDir = join(dir, "agent");
    const pod = { root: podsDir, namespace: "shop", pod: "web-0", uid: "uid-1", rotateBytes: ROTATE_BYTES };
    const containers: Container[] = (
      [
        ["renamed", "rename"],
        ["truncated", "copytruncate"],
        ["steady", "none"],
      ] as const
    ).map(([name, rotation]) => ({
      name,
      rotation,
      written: 0,
      writer: new ContainerLogWriter({
        ...pod,
        container: name,
        rotation: rotation === "none" ? "rename" : rotation,
        // Rotated by the test's generator, not by size.
        rotateBytes: 1 << 30,
      }),
    }));
    const startNs = BigInt(Date.now() - 1000) * 1_000_000n;
    const port = await freePort();
    const seedArgs = ["server", "--target=logs", "--data-dir", join(dir, "seed")];
    let seed: SeedChild = await startSeedChild(runner, seedArgs, 30_000, port);
    const config = join(dir, "agent.yaml");
    await writeFile(
      config,
      `cluster: loss
remote_write_url: http://127.0.0.1:${port}/api/v1/push
data_dir: ${agentDir}
http_port: 0
self_scrape: false
host_collector: { enabled: false }
logs:
  enabled: true
  push_url: http://127.0.0.1:${port}
  headers: { X-Scope-OrgID: ${TENANT} }
  pods: { dir: ${podsDir} }
  batch_wait: 200ms
  positions_sync_period: 200ms
`,
    );

    let agentUp = false;
    let renamedWhileDown = 0;
    // The generator: a few lines per container every tick, then each file rotated once it is full;
    // a truncated one only once the agent's saved position reached its end (see the file comment).
    const tick = () => {
      for (const c of containers) {
        // Until the agent saw a truncation, the file may not grow back to half its old size (else a
        // stalled reader could find it past its old offset and skip its start, as any tailer would).
        const waiting = c.truncatedAt !== undefined && statSync(c.writer.path).size > c.truncatedAt / 2;
        for (let i = 0; i < (waiting ? 0 : LINES_PER_TICK); i++) {
          c.written++;
          c.writer.write(
            `seq=${c.written} container=${c.name} msg="${"payload ".repeat(8)}"`,
            c.written % 7 === 0 ? "stderr" : "stdout",
          );
        }
        const full = statSync(c.writer.path).size >= ROTATE_BYTES;
        if (c.rotation === "rename" && full) {
          c.writer.rotate();
          if (!agentUp) renamedWhileDown++;
        } else if (c.rotation === "copytruncate") {
          const saved = savedOffset(agentDir, c.writer.path);
          if (c.truncatedAt !== undefined && saved >= 0 && saved < c.truncatedAt) c.truncatedAt = undefined;
          const size = statSync(c.writer.path).size;
          if (full && agentUp && c.truncatedAt === undefined && saved === size) {
            c.writer.rotate();
            c.truncatedAt = size;
          }
        }
        c.writer.flush();
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const writing = (on: boolean) => {
      clearInterval(timer);
      timer = on ? setInterval(tick, TICK_MS) : undefined;
    };

    let agent = new AgentChild(runner, config);
    let firstOutput = "";
    try {
      await agent.start();
      agentUp = true;
      writing(true);
      await eventually(
        async () => ((await storedLines(seed.url, "steady", startNs)).length >= 20 ? true : undefined),
        30_000,
        () => `lines before the outage\n${agent.output()}`,
      );
      await new Promise((r) => setTimeout(r, 1_500));

      await seed.stop();
      await new Promise((r) => setTimeout(r, 1_500));
      // Restart the agent in the middle of the outage.
      agentUp = false;
      await agent.stop();
      firstOutput = agent.output();
      await new Promise((r) => setTimeout(r, 500));
      agent = new AgentChild(runner, config);
      await agent.start();
      agentUp = true;
      await new Promise((r) => setTimeout(r, 1_500));

      seed = await startSeedChild(runner, seedArgs, 30_000, port);
      await new Promise((r) => setTimeout(r, 2_000));
      writing(false);
      for (const c of containers) c.writer.close();

      for (const c of containers) {
        const expected = Array.from({ length: c.written }, (_, i) => i + 1);
        const lines = await eventually(async () => {
          const got = await storedLines(seed.url, c.name, startNs);
          return got.length >= c.written ? got : undefined;
        }, 30_000).catch(() => storedLines(seed.url, c.name, startNs));
        const seqs = lines.map((l) => Number(/^seq=(\d+) /.exec(l)?.[1]));
        expect(
          seqs,
          `${c.name}: every line once, in order; missing ${ranges(expected.filter((q) => !seqs.includes(q)))}\n` +
            `first agent:\n${firstOutput}\nsecond agent:\n${agent.output()}`,
        ).toEqual(expected);
      }
      expect(containers[0]!.writer.rotations, "rename rotations happened").toBeGreaterThanOrEqual(2);
      expect(containers[1]!.writer.rotations, "copy-truncate rotations happened").toBeGreaterThanOrEqual(1);
      expect(renamedWhileDown, "renames while the agent was down").toBeGreaterThanOrEqual(1);
    } finally {
      writing(false);
      await agent.stop();
      await seed.stop();
    }
  }, 180_000);
});
