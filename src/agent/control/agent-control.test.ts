import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { nopLogger } from "../../lib/log/logger.js";
import { agentConfigSchema } from "../../server/config.js";
import { eventually } from "../../test-support/seed.js";
import { Agent } from "../agent.js";
import { ContainerLogWriter } from "../logs/gen/container-log-writer.js";
import { TestLoki } from "../logs/ship/ship.testlib.js";
import { STALE_BITS } from "../remote-write/remote-write.testlib.js";
import { CONFIG_CACHE_FILE } from "./config-cache.js";
import { createTestPki, FakeGateway, labelsOf, type TestPki } from "./fake-gateway.testlib.js";

/**
 * The agent's control channel against a fake gateway over mutual TLS (fake-gateway.testlib.ts):
 * configuration applied without restart, refused, cached; flows; 423; certificate renewal. Nothing
 * here measures time: every wait is for a condition.
 */

const CLUSTER = "c1";

/** A target that counts its scrapes and exposes the count as `ctl_seq`. */
class CountingTarget {
  hits = 0;
  #server: Server | undefined;
  address = "";

  async start(): Promise<this> {
    this.#server = createServer((_req, res) => {
      this.hits++;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(`# TYPE ctl_seq gauge\nctl_seq ${this.hits}\n`);
    });
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", r));
    this.address = `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }
}

const job = (name: string, t: CountingTarget) => ({
  job_name: name,
  static_configs: [{ targets: [t.address] }],
});

let pki: TestPki;
let root: string;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-agent-control-"));
  pki = await createTestPki(join(root, "pki"), CLUSTER);
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function target(): Promise<CountingTarget> {
  const t = await new CountingTarget().start();
  cleanup.push(() => t.stop());
  return t;
}

async function gateway(opts: Parameters<typeof FakeGateway.start>[2] = {}): Promise<FakeGateway> {
  const gw = await FakeGateway.start(pki, CLUSTER, opts);
  cleanup.push(() => gw.close());
  return gw;
}

let dirs = 0;
function dataDir(): string {
  return join(root, `agent-${++dirs}`);
}

/** An agent scraping `local` as job "local" every second, sending to `pushUrl`. */
async function startAgent(
  pushUrl: string,
  dir: string,
  local: CountingTarget,
  control: Record<string, unknown> = {},
): Promise<Agent> {
  const config = agentConfigSchema.parse({
    cluster: CLUSTER,
    remote_write_url: pushUrl,
    tls: pki.files,
    data_dir: dir,
    http_port: 0,
    scrape_interval: "1s",
    scrape_timeout: "1s",
    self_scrape: false,
    host_collector: { enabled: false },
    control: { poll_wait: "5s", heartbeat_interval: "1s", ...control },
    remote_write: {
      sync_interval: "100ms",
      queue_config: { batch_send_deadline: "100ms", min_backoff: "50ms", max_backoff: "300ms" },
    },
    scrape_configs: [job("local", local)],
  });
  const agent = new Agent(config, nopLogger);
  await agent.start();
  cleanup.push(() => agent.stop(1_000));
  return agent;
}

/** The sum of `name`'s values whose labels include `labels`. */
async function metric(agent: Agent, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = agent.metrics.getSingleMetric(name);
  if (m === undefined) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

const until = <T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000) =>
  eventually(async () => check() || undefined, timeoutMs, what);

describe("the agent's control channel", () => {
  it("applies new versions without a restart: jobs come and go, settings override, local jobs run on", async () => {
    const [a, b, c] = [await target(), await target(), await target()];
    const gw = await gateway({
      state: {
        flows: { metrics: true, logs: true },
        certificate_generation: 0,
        config: { scrape_configs: [job("remote-b", b)] },
      },
    });
    const dir = dataDir();
    const agent = await startAgent(gw.pushUrl, dir, a);
    await until(
      () => agent.appliedConfigVersion === 1 && gw.samplesWith("job", "remote-b").length > 0,
      "version 1's job to be scraped and delivered",
    );
    expect(agent.jobNames).toEqual(["local", "remote-b"]);

    gw.update({ config: { scrape_configs: [job("remote-c", c)] } });
    await until(() => gw.samplesWith("job", "remote-c").length > 0, "the new job's samples");
    expect(agent.appliedConfigVersion).toBe(2);
    expect(agent.jobNames).toEqual(["local", "remote-c"]);
    // The removed job's series get stale markers, then its target is not scraped again.
    await until(
      () =>
        gw.samplesWith("job", "remote-b").some((g) => labelsOf(g).__name__ === "up" && g.bits === STALE_BITS),
      "stale markers for the removed job",
    );
    const bHits = b.hits;
    const cHits = c.hits;
    await until(() => c.hits >= cHits + 3, "three more scrapes of the new job");
    expect(b.hits).toBe(bHits);

    // The local job was never restarted: no stale marker, and each series' timestamps strictly rise.
    const local = gw.samplesWith("job", "local");
    expect(local.filter((g) => g.bits === STALE_BITS)).toEqual([]);
    const last = new Map<string, number>();
    for (const g of local) {
      expect(g.t).toBeGreaterThan(last.get(g.series) ?? 0);
      last.set(g.series, g.t);
    }

    // Settings of the file overridden: external labels reach the local job's series too.
    gw.update({ config: { external_labels: { team: "payments" }, scrape_configs: [job("remote-c", c)] } });
    await until(
      () =>
        gw.samplesWith("team", "payments").some((g) => labelsOf(g).job === "local") &&
        gw.samplesWith("team", "payments").some((g) => labelsOf(g).job === "remote-c"),
      "external labels from version 3 on every job",
    );
    expect(agent.appliedConfigVersion).toBe(3);
    const cached = JSON.parse(await readFile(join(dir, CONFIG_CACHE_FILE), "utf8")) as { version: number };
    expect(cached.version).toBe(3);
    expect(await metric(agent, "mirador_agent_config_version_applied")).toBe(3);
    await until(
      () => gw.heartbeats.some((h) => h.applied_config_version === 3 && h.agent_version !== ""),
      "a heartbeat reporting version 3",
    );
  }, 60_000);

  it("runs none of the seed's jobs with control.scrape_configs off, but takes its other settings", async () => {
    const [a, b] = [await target(), await target()];
    const gw = await gateway({
      state: {
        flows: { metrics: true, logs: true },
        certificate_generation: 0,
        config: { external_labels: { team: "ops" }, scrape_configs: [job("remote-b", b)] },
      },
    });
    const agent = await startAgent(gw.pushUrl, dataDir(), a, { scrape_configs: false });
    await until(
      () => agent.appliedConfigVersion === 1 && gw.samplesWith("team", "ops").length > 0,
      "version 1's external labels on the local job",
    );
    expect(agent.jobNames).toEqual(["local"]);
    expect(b.hits).toBe(0);
  }, 60_000);

  it("refuses a version whose job is named like a local one, keeps the last good one and reports why", async () => {
    const [a, b, c] = [await target(), await target(), await target()];
    const gw = await gateway({
      state: {
        flows: { metrics: true, logs: true },
        certificate_generation: 0,
        config: { scrape_configs: [job("remote-b", b)] },
      },
    });
    const agent = await startAgent(gw.pushUrl, dataDir(), a);
    await until(() => agent.appliedConfigVersion === 1, "version 1 applied");

    gw.update({ config: { scrape_configs: [job("local", c)] } });
    const hb = await until(
      () =>
        gw.heartbeats.find((h) => h.errors.some((e) => /version 2 refused.*"local"/.test(e))) ?? undefined,
      "a heartbeat reporting the refusal",
    );
    expect(hb.applied_config_version).toBe(1);
    expect(agent.appliedConfigVersion).toBe(1);
    expect(await metric(agent, "mirador_agent_config_errors_total")).toBe(1);
    const bHits = b.hits;
    await until(() => b.hits >= bHits + 2, "the last good version's job to go on");
    expect(c.hits).toBe(0);
    expect(agent.jobNames).toEqual(["local", "remote-b"]);

    // A later good version applies and clears the error.
    gw.update({ config: { scrape_configs: [job("remote-c", c)] } });
    await until(
      () => gw.heartbeats.find((h) => h.applied_config_version === 3 && h.errors.length === 0),
      "a clean heartbeat for version 3",
    );
  }, 60_000);

  it("runs its cached configuration when the seed is down at start, and delivers once it is back", async () => {
    const [a, b] = [await target(), await target()];
    const state = {
      flows: { metrics: true, logs: true },
      certificate_generation: 0,
      config: { scrape_configs: [job("remote-b", b)] },
    };
    const gw = await gateway({ state, version: 4 });
    const dir = dataDir();
    const first = await startAgent(gw.pushUrl, dir, a);
    await until(() => first.appliedConfigVersion === 4, "version 4 applied");
    await until(
      () =>
        stat(join(dir, CONFIG_CACHE_FILE)).then(
          () => true,
          () => false,
        ),
      "the cache file",
      5_000,
    );
    await first.stop();
    const port = gw.port;
    await gw.close();

    const bHits = b.hits;
    const second = await startAgent(`https://127.0.0.1:${port}/api/v1/push`, dir, a);
    expect(second.appliedConfigVersion).toBe(4);
    expect(second.jobNames).toEqual(["local", "remote-b"]);
    await until(() => b.hits >= bHits + 2, "the cached job scraped while the seed is down");
    await until(() => second.queuedSamples > 0, "samples waiting for the seed");

    const back = await gateway({ port, state, version: 4 });
    await until(() => back.samplesWith("job", "remote-b").length > 0, "the backlog delivered");
    await until(() => back.heartbeats.some((h) => h.applied_config_version === 4), "a heartbeat");
  }, 90_000);

  it("stops scraping, sending and keeping while the metrics flow is off, and resumes when it is on", async () => {
    const a = await target();
    const gw = await gateway();
    const agent = await startAgent(gw.pushUrl, dataDir(), a);
    await until(() => gw.samplesWith("job", "local").length > 0, "samples");

    // Pushes fail, so the queue holds something when the flow goes off.
    gw.pushAnswer = () => ({ status: 503 });
    await until(() => agent.queuedSamples > 0, "a backlog");
    gw.update({ flows: { metrics: false, logs: true } });
    await until(
      () => !agent.metricsFlowEnabled && agent.queuedSamples === 0,
      "the flow off and the queue empty",
    );
    // Counted once the lane holding the last batch has let it go (it may lag the queue's count).
    await eventually(
      async () =>
        (await metric(agent, "mirador_agent_remote_write_samples_dropped_total", {
          reason: "flow_disabled",
        })) > 0
          ? true
          : undefined,
      30_000,
      "the dropped samples counted",
    );
    expect(await metric(agent, "mirador_agent_flow_enabled", { flow: "metrics" })).toBe(0);
    gw.pushAnswer = undefined;

    // Let the pause settle (one heartbeat), then watch three more: nothing scraped, sent or kept.
    let n = gw.heartbeats.length;
    await until(() => gw.heartbeats.length > n, "a heartbeat");
    const hits = a.hits;
    const pushes = gw.pushes.length;
    n = gw.heartbeats.length;
    await until(() => gw.heartbeats.length >= n + 3, "three more heartbeats");
    expect(a.hits).toBe(hits);
    expect(gw.pushes.length).toBe(pushes);
    expect(agent.queuedSamples).toBe(0);
    expect(gw.heartbeats.slice(n).every((h) => h.buffered_samples === 0)).toBe(true);

    const got = gw.got.length;
    gw.update({ flows: { metrics: true, logs: true } });
    await until(
      () => agent.metricsFlowEnabled && a.hits > hits && gw.got.length > got,
      "scraping and sending again",
    );
  }, 60_000);

  it("drops the logs it reads while the logs flow is off, and ships again when it is on", async () => {
    const a = await target();
    const gw = await gateway();
    const loki = new TestLoki();
    await loki.start();
    cleanup.push(() => loki.close());
    const dir = dataDir();
    const config = agentConfigSchema.parse({
      cluster: CLUSTER,
      remote_write_url: gw.pushUrl,
      tls: pki.files,
      data_dir: dir,
      http_port: 0,
      self_scrape: false,
      host_collector: { enabled: false },
      control: { poll_wait: "5s", heartbeat_interval: "1s" },
      scrape_configs: [job("local", a)],
      logs: { enabled: true, push_url: loki.url, pods: { dir: join(dir, "pods") }, batch_wait: "100ms" },
    });
    const agent = new Agent(config, nopLogger);
    await agent.start();
    cleanup.push(() => agent.stop(1_000));
    const w = new ContainerLogWriter({
      root: join(dir, "pods"),
      namespace: "shop",
      pod: "web-0",
      uid: "u1",
      container: "app",
    });
    cleanup.push(async () => w.close());
    const write = (line: string) => {
      w.write(line, "stdout");
      w.flush();
    };
    const lines = () => loki.got.map((g) => g.line);

    write("before");
    await until(() => lines().includes("before"), "the first line shipped");
    gw.update({ flows: { metrics: true, logs: false } });
    await eventually(
      async () =>
        (await metric(agent, "mirador_agent_flow_enabled", { flow: "logs" })) === 0 ? true : undefined,
      30_000,
      "the logs flow off",
    );
    write("while off");
    await eventually(
      async () =>
        (await metric(agent, "mirador_agent_logs_entries_dropped_total", { reason: "flow_disabled" })) >= 1
          ? true
          : undefined,
      30_000,
      "the line read and dropped",
    );
    gw.update({ flows: { metrics: true, logs: true } });
    await eventually(
      async () =>
        (await metric(agent, "mirador_agent_flow_enabled", { flow: "logs" })) === 1 ? true : undefined,
      30_000,
      "the logs flow on",
    );
    write("after");
    await until(() => lines().includes("after"), "shipping again");
    expect(lines()).toEqual(["before", "after"]);
  }, 60_000);

  it("starts with the metrics flow off when its cached configuration says so", async () => {
    const a = await target();
    const gw = await gateway();
    const dir = dataDir();
    const first = await startAgent(gw.pushUrl, dir, a);
    gw.update({ flows: { metrics: false, logs: true } });
    await until(() => !first.metricsFlowEnabled && first.appliedConfigVersion === 2, "the flow off");
    await first.stop();
    const port = gw.port;
    await gw.close();

    const again = await startAgent(`https://127.0.0.1:${port}/api/v1/push`, dir, a);
    expect(again.metricsFlowEnabled).toBe(false);
    expect(await metric(again, "mirador_agent_flow_enabled", { flow: "metrics" })).toBe(0);
    const hits = a.hits;
    await again.scrapeAll();
    expect(a.hits).toBe(hits);
    expect(again.queuedSamples).toBe(0);
  }, 60_000);

  it("treats a 423 as the flow switched off at once, and asks for the configuration", async () => {
    const a = await target();
    const gw = await gateway();
    const agent = await startAgent(gw.pushUrl, dataDir(), a);
    await until(() => gw.samplesWith("job", "local").length > 0, "samples");

    // The gateway refuses before the new version reaches the waiting long-poll.
    gw.refuseMetrics = true;
    gw.update({ flows: { metrics: false, logs: true } }, false);
    const requests = gw.configRequests.length;
    await until(() => !agent.metricsFlowEnabled, "the flow off after a 423");
    await until(
      () => gw.configRequests.slice(requests).some((r) => r.ifNoneMatch === undefined),
      "an immediate request for the current configuration",
    );
    expect(
      await metric(agent, "mirador_agent_remote_write_samples_dropped_total", { reason: "flow_disabled" }),
    ).toBeGreaterThan(0);
    expect(
      await metric(agent, "mirador_agent_remote_write_samples_dropped_total", { reason: "http_4xx" }),
    ).toBe(0);
    expect(await metric(agent, "mirador_agent_remote_write_samples_retried_total")).toBe(0);
    // The configuration agrees: the flow stays off.
    const n = gw.heartbeats.length;
    await until(() => gw.heartbeats.length >= n + 2, "two heartbeats");
    expect(agent.metricsFlowEnabled).toBe(false);

    gw.refuseMetrics = false;
    const got = gw.got.length;
    gw.update({ flows: { metrics: true, logs: true } });
    await until(() => agent.metricsFlowEnabled && gw.got.length > got, "sending again");
  }, 60_000);

  it("renews its certificate when the generation grows without losing a sample, and keeps the renewed pair", async () => {
    const a = await target();
    const gw = await gateway();
    const dir = dataDir();
    const agent = await startAgent(gw.pushUrl, dir, a);
    const original = pki.client.serialNumber;
    expect(agent.certificateSerial).toBe(original);
    await until(() => gw.samplesWith("__name__", "ctl_seq").length >= 2, "samples");

    gw.update({ certificate_generation: 1 });
    const renewed = await until(() => gw.renewed[0], "a renewal");
    expect(renewed).not.toBe(original);
    await until(
      () => gw.pushes.some((p) => p.serial === renewed && p.status === 204),
      "pushes over the new certificate",
    );
    await until(
      () => gw.heartbeats.some((h) => h.certificate_serial === renewed && h.connectionSerial === renewed),
      "a heartbeat over and about the new certificate",
    );
    expect(agent.certificateSerial).toBe(renewed);
    expect(await metric(agent, "mirador_agent_certificate_renewals_total", { result: "success" })).toBe(1);

    // Every answer of the target reached the gateway: the swap lost nothing.
    const served = a.hits;
    const values = () =>
      new Set(gw.samplesWith("__name__", "ctl_seq").map((g) => Number(bitsToValue(g.bits))));
    await until(() => values().has(served), `sample ${served} delivered`);
    const have = values();
    const missing = [];
    for (let i = 1; i <= served; i++) if (!have.has(i)) missing.push(i);
    expect(missing).toEqual([]);

    const state = JSON.parse(await readFile(join(dir, "tls", "state.json"), "utf8")) as {
      serial: string;
      generation: number;
      key_file: string;
    };
    expect(state).toMatchObject({ serial: renewed, generation: 1 });
    expect((await stat(join(dir, "tls", state.key_file))).mode & 0o777).toBe(0o600);

    // After a restart the renewed pair wins over the configured one, and is not renewed again.
    await agent.stop();
    const pushes = gw.pushes.length;
    const heartbeats = gw.heartbeats.length;
    const again = await startAgent(gw.pushUrl, dir, a);
    expect(again.certificateSerial).toBe(renewed);
    await until(
      () => gw.pushes.length > pushes && gw.heartbeats.length > heartbeats + 1,
      "the restarted agent",
    );
    expect(gw.pushes.slice(pushes).every((p) => p.serial === renewed)).toBe(true);
    expect(gw.renewed).toHaveLength(1);
  }, 60_000);
});

function bitsToValue(bits: bigint): number {
  const b = new BigUint64Array([bits]);
  return new Float64Array(b.buffer)[0]!;
}
