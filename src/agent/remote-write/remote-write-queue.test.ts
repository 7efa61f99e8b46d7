import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Logger, nopLogger } from "../../lib/log/logger.js";
import { eventually } from "../../test-support/seed.js";
import { decodeRequestV2 } from "../../wire/remote-write/v2.js";
import { snappyDecompress } from "../../wire/snappy.js";
import type { RemoteWriteQueueConfig } from "./config.js";
import { checkOrder, distinct, roundOf, STALE_BITS, scrape, TestRemote } from "./remote-write.testlib.js";
import { RemoteWriteQueue, type RemoteWriteQueueDeps } from "./remote-write-queue.js";

let dir: string;
let remote: TestRemote;
let registry: Registry;
let queues: RemoteWriteQueue[];
const waits: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-rwq-"));
  remote = new TestRemote();
  await remote.start();
  registry = new Registry();
  queues = [];
  waits.length = 0;
});

afterEach(async () => {
  for (const q of queues) await q.stop(0);
  await remote.close();
  await rm(dir, { recursive: true, force: true });
});

/** A queue with test timings: tiny backoffs (recorded, never slept long), a short send deadline. */
async function open(
  extra: Partial<RemoteWriteQueueConfig> = {},
  deps: Partial<RemoteWriteQueueDeps> = {},
): Promise<RemoteWriteQueue> {
  const q = await RemoteWriteQueue.open(
    {
      name: "seed",
      url: remote.url,
      dir: join(dir, "queue"),
      batchSendDeadlineMs: 20,
      minBackoffMs: 1,
      maxBackoffMs: 5,
      maxRetryAfterMs: 60_000,
      syncMode: "never",
      ...extra,
    },
    {
      logger: nopLogger,
      metrics: registry,
      sleep: (ms, signal) => {
        waits.push(ms);
        return new Promise((resolve) => {
          const t = setTimeout(resolve, Math.min(ms, 5));
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            resolve();
          });
        });
      },
      ...deps,
    },
  );
  queues.push(q);
  return q;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

async function delivered(n: number, what = "samples delivered"): Promise<void> {
  await eventually(
    async () => (distinct(remote.got) >= n ? true : undefined),
    30_000,
    () => `${what}: ${distinct(remote.got)}/${n}`,
  );
}

describe("RemoteWriteQueue", () => {
  it("delivers every sample exactly once, in per-series order, as remote-write 1.0", async () => {
    const q = await open({ maxSamplesPerSend: 100 });
    q.start();
    for (let r = 0; r < 20; r++) q.append(scrape(64, r));
    await delivered(20 * 64);
    await q.stop(5_000);
    expect(remote.got).toHaveLength(20 * 64);
    expect(checkOrder(remote.got)).toEqual({ outOfOrder: 0, duplicates: 0 });
    const h = remote.seen[0]!.headers;
    expect(h["content-type"]).toBe("application/x-protobuf;proto=prometheus.WriteRequest");
    expect(h["content-encoding"]).toBe("snappy");
    expect(h["x-prometheus-remote-write-version"]).toBe("0.1.0");
    expect(h["user-agent"]).toBe("mirador-agent");
    expect(await metric("mirador_agent_remote_write_samples_sent_total", { remote: "seed" })).toBe(20 * 64);
    expect(await metric("mirador_agent_remote_write_bytes_sent_total")).toBeGreaterThan(0);
  });

  it("keeps stale markers bit for bit (1.0 and 2.0)", async () => {
    for (const protobufMessage of ["prometheus.WriteRequest", "io.prometheus.write.v2.Request"] as const) {
      remote.got.length = 0;
      const q = await open({ protobufMessage, dir: join(dir, protobufMessage) });
      q.start();
      q.append(scrape(5, 0));
      q.append(scrape(5, 1, true));
      await delivered(10);
      await q.stop(5_000);
      const stale = remote.got.filter((g) => roundOf(g) === 1);
      expect(stale.map((g) => g.bits)).toEqual(new Array(5).fill(STALE_BITS));
    }
  });

  it("sends remote-write 2.0 that the seed's decoder reads back", async () => {
    const q = await open({ protobufMessage: "io.prometheus.write.v2.Request" });
    q.start();
    q.append(scrape(20, 0));
    q.append(scrape(20, 1));
    await delivered(40);
    await q.stop(5_000);
    const h = remote.seen[0]!.headers;
    expect(h["content-type"]).toBe("application/x-protobuf;proto=io.prometheus.write.v2.Request");
    expect(h["x-prometheus-remote-write-version"]).toBe("2.0.0");
    const req = decodeRequestV2(snappyDecompress(remote.seen[0]!.body, 1 << 20));
    const ts = req.timeseries[0]!;
    expect(ts.problem).toBeUndefined();
    expect(ts.labels).toContainEqual({ name: "__name__", value: "node_cpu_seconds_total" });
    expect(ts.labels).toContainEqual({ name: "cluster", value: "edge-1" });
    expect(checkOrder(remote.got)).toEqual({ outOfOrder: 0, duplicates: 0 });
    expect(remote.got).toHaveLength(40);
  });

  it("falls back to 1.0 after a 415 to 2.0", async () => {
    remote.script = (_n, h) =>
      String(h["content-type"]).includes("v2") ? { status: 415, body: "2.0 not supported" } : undefined;
    const q = await open({ protobufMessage: "io.prometheus.write.v2.Request" });
    q.start();
    q.append(scrape(10, 0));
    await delivered(10);
    q.append(scrape(10, 1));
    await delivered(20);
    await q.stop(5_000);
    expect(remote.seen.filter((s) => s.status === 415)).toHaveLength(1);
    expect(
      await metric("mirador_agent_remote_write_samples_retried_total", { reason: "http_415_fallback" }),
    ).toBe(10);
    expect(await metric("mirador_agent_remote_write_samples_dropped_total", { reason: "http_4xx" })).toBe(0);
  });

  it("retries a 429 after its Retry-After, then delivers", async () => {
    remote.script = (n) =>
      n === 0 ? { status: 429, headers: { "retry-after": "7" }, body: "slow down" } : undefined;
    const q = await open();
    q.start();
    q.append(scrape(10, 0));
    await delivered(10);
    await q.stop(5_000);
    expect(waits).toContain(7000);
    expect(remote.got).toHaveLength(10);
    expect(await metric("mirador_agent_remote_write_samples_retried_total", { reason: "http_429" })).toBe(10);
  });

  it("caps Retry-After (an HTTP date too)", async () => {
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    remote.script = (n) => (n === 0 ? { status: 503, headers: { "retry-after": later } } : undefined);
    const q = await open({ maxRetryAfterMs: 1234 });
    q.start();
    q.append(scrape(3, 0));
    await delivered(3);
    expect(waits).toContain(1234);
  });

  it("retries a 500, then delivers", async () => {
    remote.script = (n) => (n < 2 ? { status: 500, body: "oops" } : undefined);
    const q = await open();
    q.start();
    q.append(scrape(10, 0));
    await delivered(10);
    await q.stop(5_000);
    expect(remote.got).toHaveLength(10);
    expect(await metric("mirador_agent_remote_write_samples_retried_total", { reason: "http_5xx" })).toBe(20);
    expect(checkOrder(remote.got).duplicates).toBe(0);
  });

  it("drops and counts a 400, never retries it, and logs the server's message", async () => {
    const lines: string[] = [];
    remote.script = (n) => (n === 0 ? { status: 400, body: "out of order sample" } : undefined);
    const q = await open({}, { logger: new Logger({ pretty: false, write: (l) => lines.push(l) }, "info") });
    q.start();
    q.append(scrape(10, 0));
    await eventually(async () =>
      (await metric("mirador_agent_remote_write_samples_dropped_total", { reason: "http_4xx" })) === 10
        ? true
        : undefined,
    );
    q.append(scrape(10, 1));
    await delivered(10);
    await q.stop(5_000);
    expect(remote.seen.map((s) => s.status)).toEqual([400, 204]);
    expect(remote.got.every((g) => roundOf(g) === 1)).toBe(true);
    expect(lines.some((l) => l.includes("out of order sample"))).toBe(true);
    expect(q.pendingSamples).toBe(0);
  });

  it("retries a 403 slowly (an admin must register the cluster), then delivers", async () => {
    remote.script = (n) => (n === 0 ? { status: 403, body: "unknown cluster" } : undefined);
    const q = await open();
    q.start();
    q.append(scrape(10, 0));
    await delivered(10);
    await q.stop(5_000);
    expect(waits).toContain(30_000);
    expect(await metric("mirador_agent_remote_write_samples_retried_total", { reason: "http_403" })).toBe(10);
    expect(await metric("mirador_agent_remote_write_samples_dropped_total", { reason: "http_4xx" })).toBe(0);
  });

  it("drops a batch answered 423 without retrying it, and tells which flow", async () => {
    const flows: string[] = [];
    remote.script = (n) =>
      n === 0 ? { status: 423, headers: { "mirador-flow": "metrics" }, body: "switched off" } : undefined;
    const q = await open({}, { onFlowDisabled: (flow) => flows.push(flow) });
    q.start();
    q.append(scrape(10, 0));
    await eventually(async () => (flows.length > 0 ? true : undefined));
    q.append(scrape(10, 1));
    await delivered(10);
    await q.stop(5_000);
    expect(flows).toEqual(["metrics"]);
    expect(remote.seen.map((s) => s.status)).toEqual([423, 204]);
    expect(remote.got.every((g) => roundOf(g) === 1)).toBe(true);
    expect(
      await metric("mirador_agent_remote_write_samples_dropped_total", { reason: "flow_disabled" }),
    ).toBe(10);
    expect(await metric("mirador_agent_remote_write_samples_dropped_total", { reason: "http_4xx" })).toBe(0);
    expect(await metric("mirador_agent_remote_write_samples_retried_total")).toBe(0);
  });

  it("with the flow off, drops what it holds and what is appended, sends nothing; on again, sends", async () => {
    let down = true;
    remote.script = () => (down ? { status: 503 } : undefined);
    const q = await open({ maxSamplesPerSend: 50 });
    q.start();
    for (let r = 0; r < 10; r++) q.append(scrape(30, r));
    await eventually(async () => (remote.seen.length >= 2 ? true : undefined));
    q.setFlowEnabled(false);
    expect(q.flowEnabled).toBe(false);
    await eventually(async () => (q.pendingSamples === 0 ? true : undefined));
    down = false;
    q.append(scrape(30, 10));
    expect(q.pendingSamples).toBe(0);
    expect(
      await metric("mirador_agent_remote_write_samples_dropped_total", { reason: "flow_disabled" }),
    ).toBe(11 * 30);
    q.setFlowEnabled(true);
    q.append(scrape(30, 11));
    await delivered(30);
    await q.stop(5_000);
    expect(remote.got.every((g) => roundOf(g) === 11)).toBe(true);
  });

  it("delivers everything after the remote was down for a while", async () => {
    let down = true;
    remote.script = () => (down ? "drop" : undefined);
    const q = await open({ maxSamplesPerSend: 50 });
    q.start();
    for (let r = 0; r < 10; r++) q.append(scrape(30, r));
    await eventually(async () => (remote.seen.length >= 5 ? true : undefined));
    expect(remote.got).toHaveLength(0);
    down = false;
    for (let r = 10; r < 15; r++) q.append(scrape(30, r));
    await delivered(15 * 30);
    await q.stop(5_000);
    expect(checkOrder(remote.got)).toEqual({ outOfOrder: 0, duplicates: 0 });
    expect(
      await metric("mirador_agent_remote_write_samples_retried_total", { reason: "network" }),
    ).toBeGreaterThan(0);
  });

  it("resumes after a restart: nothing lost, duplicates only from requests in flight at the stop", async () => {
    let hold = false;
    remote.script = () => (hold ? "drop" : undefined);
    let q = await open({ maxSamplesPerSend: 40 });
    q.start();
    for (let r = 0; r < 10; r++) q.append(scrape(40, r));
    await delivered(3 * 40);
    hold = true;
    for (let r = 10; r < 20; r++) q.append(scrape(40, r));
    await q.stop(0);
    const before = remote.got.length;
    hold = false;
    q = await open({ maxSamplesPerSend: 40 });
    q.start();
    for (let r = 20; r < 25; r++) q.append(scrape(40, r));
    await delivered(25 * 40);
    await q.stop(5_000);
    const { outOfOrder, duplicates } = checkOrder(remote.got);
    expect(outOfOrder).toBe(0);
    // At-least-once: only samples of read batches not yet acknowledged at the stop come again.
    expect(duplicates).toBeLessThanOrEqual(before);
    expect(distinct(remote.got)).toBe(25 * 40);
  });

  it("keeps per-series order with concurrent shards", async () => {
    remote.jitterMs = 5;
    const q = await open({ minShards: 4, maxShards: 4, maxSamplesPerSend: 25 });
    q.start();
    expect(q.shards().current).toBe(4);
    for (let r = 0; r < 30; r++) q.append(scrape(100, r));
    await delivered(30 * 100);
    await q.stop(5_000);
    expect(checkOrder(remote.got)).toEqual({ outOfOrder: 0, duplicates: 0 });
  });

  it("bounds the disk queue by dropping the oldest records, counted", async () => {
    let down = true;
    remote.script = () => (down ? "drop" : undefined);
    const q = await open({ maxQueueBytes: 16 * 1024, segmentBytes: 2 * 1024 });
    for (let r = 0; r < 200; r++) q.append(scrape(10, r));
    const droppedSamples = await metric("mirador_agent_remote_write_samples_dropped_total", {
      reason: "queue_full",
    });
    const droppedRecords = await metric("mirador_agent_remote_write_queue_records_dropped_total", {
      reason: "max_bytes",
    });
    expect(droppedRecords).toBeGreaterThan(0);
    expect(droppedSamples).toBe(droppedRecords * 10);
    expect(await metric("mirador_agent_remote_write_queue_bytes")).toBeLessThanOrEqual(16 * 1024);
    down = false;
    q.start();
    await delivered(2000 - droppedSamples);
    await q.stop(5_000);
    // What is left is the newest rounds, whole.
    const rounds = new Set(remote.got.map(roundOf));
    expect(Math.min(...rounds)).toBe(droppedRecords);
    expect(Math.max(...rounds)).toBe(199);
    expect(checkOrder(remote.got)).toEqual({ outOfOrder: 0, duplicates: 0 });
  });

  it("reports queue depth, shards and oldest age in its self-metrics", async () => {
    remote.script = () => "drop";
    const q = await open();
    q.append(scrape(10, 0));
    q.append(scrape(10, 1));
    q.start();
    await eventually(async () => (remote.seen.length >= 2 ? true : undefined));
    const text = await registry.metrics();
    expect(text).toContain('mirador_agent_remote_write_queue_samples{remote="seed"} 20');
    expect(text).toContain('mirador_agent_remote_write_shards{remote="seed"} 1');
    expect(text).toMatch(
      /mirador_agent_remote_write_oldest_unsent_sample_age_seconds\{remote="seed"\} [0-9.e-]+/,
    );
    expect(text).toContain(
      'mirador_agent_remote_write_send_duration_seconds_bucket{le="30",remote="seed",outcome="retry"}',
    );
  });
});
