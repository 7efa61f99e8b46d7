import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Logger } from "../../../lib/log/logger.js";
import { eventually } from "../../../test-support/seed.js";
import { parseStreamLabels } from "../../../wire/loki/index.js";
import { createTestPki } from "../../control/fake-gateway.testlib.js";
import type { LogShipperConfig } from "./config.js";
import { LogShipper, type LogShipperDeps } from "./log-shipper.js";
import { labelsHash } from "./record-codec.js";
import { checkOrder, ManualClock, makeStreams, pushEntrySize, T0, TestLoki } from "./ship.testlib.js";

let dir: string;
let loki: TestLoki;
let registry: Registry;
let shippers: LogShipper[];
let logLines: string[];
const waits: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-logship-"));
  loki = new TestLoki();
  await loki.start();
  registry = new Registry();
  shippers = [];
  logLines = [];
  waits.length = 0;
});

afterEach(async () => {
  for (const s of shippers) await s.stop(0);
  await loki.close();
  await rm(dir, { recursive: true, force: true });
});

/** Backoff waits are recorded and cut to at most 5 ms. */
function quickSleep(ms: number, signal: AbortSignal): Promise<void> {
  waits.push(ms);
  return new Promise((resolve) => {
    const t = setTimeout(resolve, Math.min(ms, 5));
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function open(
  extra: Partial<LogShipperConfig> = {},
  deps: Partial<LogShipperDeps> = {},
): Promise<LogShipper> {
  const s = await LogShipper.open(
    {
      url: loki.url,
      dir: join(dir, "queue"),
      batchWaitMs: 10,
      minBackoffMs: 1,
      maxBackoffMs: 5,
      syncMode: "never",
      ...extra,
    },
    {
      logger: new Logger({ write: (l) => logLines.push(l), pretty: false }, "debug"),
      metrics: registry,
      sleep: quickSleep,
      ...deps,
    },
  );
  shippers.push(s);
  return s;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

async function delivered(n: number): Promise<void> {
  await eventually(
    async () => (checkOrder(loki.got).distinct >= n ? true : undefined),
    20_000,
    () => `entries delivered: ${checkOrder(loki.got).distinct}/${n}`,
  );
}

async function drained(s: LogShipper): Promise<void> {
  await eventually(async () => (s.pendingRecords === 0 ? true : undefined), 20_000, "the queue to drain");
}

describe("LogShipper", () => {
  it("delivers every entry once, in order per stream, as decodable snappy protobuf pushes", async () => {
    const s = await open();
    s.start();
    for (let r = 0; r < 10; r++) expect(s.append(makeStreams(5, 20, r))).toEqual({ queued: 100, dropped: 0 });
    await s.sync();
    await delivered(1000);
    await drained(s);
    expect(loki.got).toHaveLength(1000);
    expect(checkOrder(loki.got)).toEqual({ outOfOrder: 0, duplicates: 0, distinct: 1000 });
    expect(new Set(loki.got.map((g) => g.stream))).toEqual(
      new Set([0, 1, 2, 3, 4].map((k) => `{app="gen", pod="pod-${k}"}`)),
    );
    const first = loki.seen[0]!;
    expect(first.path).toBe("/loki/api/v1/push");
    expect(first.headers["content-encoding"]).toBe("snappy");
    expect(first.headers["content-type"]).toBe("application/x-protobuf");
    expect(first.headers["x-prometheus-remote-write-version"]).toBeUndefined();
    expect(first.headers["user-agent"]).toBe("mirador-agent");
    expect(await metric("mirador_agent_logs_entries_sent_total")).toBe(1000);
    expect(await metric("mirador_agent_logs_entries_queued_total")).toBe(1000);
    expect(await metric("mirador_agent_logs_bytes_sent_total")).toBe(
      loki.got.reduce((n, g) => n + pushEntrySize(g.tsNs, g.line), 0),
    );
    expect(await metric("mirador_agent_logs_requests_total", { status_class: "2xx" })).toBe(loki.seen.length);
    expect(await metric("mirador_agent_logs_queue_records")).toBe(0);
    expect(await metric("mirador_agent_logs_oldest_unsent_entry_age_seconds")).toBe(0);
  });

  it("keeps structured metadata", async () => {
    const s = await open();
    s.start();
    s.append([{ labels: { app: "a" }, entries: [{ tsNs: 5n, line: "x", metadata: [["trace_id", "t1"]] }] }]);
    await delivered(1);
    expect(loki.got[0]).toEqual({ stream: '{app="a"}', tsNs: 5n, line: "x", metadata: [["trace_id", "t1"]] });
  });

  it("cuts requests at batch_size bytes of lines and sends a partial one at batch_wait", async () => {
    const clock = new ManualClock();
    const s = await open(
      // Three entries of 30-byte lines (the first of all is 3 bytes smaller: its nanos are 0).
      { batchSizeBytes: 3 * pushEntrySize(T0 + 1000n, "x".repeat(30)), batchWaitMs: 1000, lanes: 1 },
      { now: clock.now, sleep: clock.sleep },
    );
    s.start();
    // 10 lines of 30 bytes: three full requests of 3 lines, one line left over.
    s.append(makeStreams(1, 10, 0, 30));
    await eventually(async () => (loki.seen.length === 3 && clock.sleeping === 1 ? true : undefined));
    expect(loki.seen.map((x) => x.entries)).toEqual([3, 3, 3]);
    clock.advance(999);
    expect(clock.sleeping).toBe(1);
    expect(loki.seen).toHaveLength(3);
    clock.advance(1);
    await delivered(10);
    expect(loki.seen.map((x) => x.entries)).toEqual([3, 3, 3, 1]);
    expect(checkOrder(loki.got)).toEqual({ outOfOrder: 0, duplicates: 0, distinct: 10 });
  });

  it("merges appends within batch_wait into one request", async () => {
    const clock = new ManualClock();
    const s = await open({ batchWaitMs: 1000, lanes: 1 }, { now: clock.now, sleep: clock.sleep });
    s.start();
    s.append(makeStreams(2, 3, 0));
    await eventually(async () => (clock.sleeping === 1 ? true : undefined));
    clock.advance(500);
    s.append(makeStreams(2, 3, 1));
    await eventually(async () => (s.bufferedEntries === 12 && clock.sleeping === 1 ? true : undefined));
    expect(loki.seen).toHaveLength(0);
    // The deadline counts from the oldest line, appended 500 ms ago.
    clock.advance(500);
    await delivered(12);
    expect(loki.seen.map((x) => x.entries)).toEqual([12]);
    expect(checkOrder(loki.got).outOfOrder).toBe(0);
  });

  it("retries 429 after its Retry-After and 5xx/network errors with backoff, losing and repeating nothing, in order", async () => {
    loki.script = (n) => {
      if (n === 0) return { status: 429, headers: { "retry-after": "2" }, body: "slow down" };
      if (n % 3 === 1) return { status: 503, body: "ingester unavailable" };
      if (n % 7 === 2) return "drop";
      return undefined;
    };
    const s = await open({ batchSizeBytes: 200 });
    s.start();
    for (let r = 0; r < 20; r++) s.append(makeStreams(4, 5, r, 20));
    await delivered(400);
    await drained(s);
    expect(checkOrder(loki.got)).toEqual({ outOfOrder: 0, duplicates: 0, distinct: 400 });
    expect(loki.got).toHaveLength(400);
    expect(waits).toContain(2000);
    const failed = loki.seen.filter((x) => x.status !== 204).length;
    expect(await metric("mirador_agent_logs_retries_total", { reason: "http_429" })).toBe(1);
    const retries =
      (await metric("mirador_agent_logs_retries_total", { reason: "http_429" })) +
      (await metric("mirador_agent_logs_retries_total", { reason: "http_5xx" })) +
      (await metric("mirador_agent_logs_retries_total", { reason: "network" }));
    expect(retries).toBe(failed);
    expect(await metric("mirador_agent_logs_requests_total", { status_class: "5xx" })).toBeGreaterThan(0);
    expect(await metric("mirador_agent_logs_requests_total", { status_class: "error" })).toBeGreaterThan(0);
  });

  it("keeps each stream's order across lanes answered out of order, with failures", async () => {
    loki.jitterMs = 20;
    let calls = 0;
    loki.script = () => (calls++ % 4 === 1 ? { status: 503 } : undefined);
    const s = await open({ batchSizeBytes: 150, lanes: 4 });
    s.start();
    for (let r = 0; r < 10; r++) s.append(makeStreams(12, 5, r, 20));
    await delivered(600);
    await drained(s);
    expect(checkOrder(loki.got)).toEqual({ outOfOrder: 0, duplicates: 0, distinct: 600 });
    // Each request holds the streams of one lane, and several lanes carried streams.
    const laneOf = (text: string) => labelsHash(parseStreamLabels(text)) % 4;
    for (const x of loki.seen) expect(new Set(x.streams.map(laneOf)).size).toBe(1);
    expect(new Set(loki.seen.map((x) => laneOf(x.streams[0]!))).size).toBeGreaterThan(1);
  });

  it("drops what the seed refuses with 400 or 413, counted and logged with the seed's text, and goes on", async () => {
    loki.script = (n) =>
      n === 0
        ? { status: 400, body: "entry for stream too far behind" }
        : n === 1
          ? { status: 413, body: "body too large: raise logs.max_push_body_bytes" }
          : undefined;
    const s = await open();
    s.start();
    s.append(makeStreams(1, 4, 0));
    await eventually(async () => (loki.seen.length === 1 ? true : undefined));
    s.append(makeStreams(1, 5, 1));
    await eventually(async () => (loki.seen.length === 2 ? true : undefined));
    s.append(makeStreams(1, 6, 2));
    await delivered(6);
    await drained(s);
    expect(loki.got.map((g) => g.line)).toEqual(makeStreams(1, 6, 2)[0]!.entries.map((e) => e.line));
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "http_400" })).toBe(4);
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "http_413" })).toBe(5);
    expect(await metric("mirador_agent_logs_requests_total", { status_class: "4xx" })).toBe(2);
    expect(await metric("mirador_agent_logs_retries_total", { reason: "http_5xx" })).toBe(0);
    expect(logLines.some((l) => l.includes("entry for stream too far behind"))).toBe(true);
    expect(logLines.some((l) => l.includes("raise logs.max_push_body_bytes"))).toBe(true);
  });

  it("on 423 tells onFlowDisabled, drops, and drops everything while the flow is off", async () => {
    let refusing = true;
    loki.script = () =>
      refusing
        ? { status: 423, headers: { "mirador-flow": "logs" }, body: "logs are switched off" }
        : undefined;
    const flows: string[] = [];
    const s: LogShipper = await open(
      {},
      {
        onFlowDisabled: (flow) => {
          flows.push(flow);
          s.setFlowEnabled(false);
        },
      },
    );
    s.start();
    s.append(makeStreams(2, 5, 0));
    await eventually(async () => (s.flowEnabled ? undefined : true));
    // Each lane with a request in flight may hear the 423.
    expect(flows.length).toBeGreaterThan(0);
    expect(new Set(flows)).toEqual(new Set(["logs"]));
    await drained(s);
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "flow_disabled" })).toBe(10);
    expect(s.append(makeStreams(2, 5, 1))).toEqual({ queued: 0, dropped: 10 });
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "flow_disabled" })).toBe(20);
    const refused = loki.seen.length;
    expect(refused).toBeLessThanOrEqual(4);
    expect(loki.seen.every((x) => x.status === 423)).toBe(true);

    refusing = false;
    s.setFlowEnabled(true);
    s.append(makeStreams(2, 5, 2));
    await delivered(10);
    expect(loki.seen.length).toBeGreaterThan(refused);
    expect(loki.got.every((g) => g.line.endsWith(" line 10") || /line 1[0-4]$/.test(g.line))).toBe(true);
  });

  it("drops the queue's backlog when the flow is switched off while the seed is down", async () => {
    loki.script = () => ({ status: 503 });
    const s = await open();
    s.start();
    s.append(makeStreams(3, 10, 0));
    await eventually(async () => (loki.seen.length >= 2 ? true : undefined));
    s.setFlowEnabled(false);
    await drained(s);
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "flow_disabled" })).toBe(30);
  });

  it("delivers after a restart what was appended and not acknowledged", async () => {
    loki.script = () => ({ status: 503 });
    const first = await open();
    first.start();
    for (let r = 0; r < 5; r++) first.append(makeStreams(3, 10, r));
    await first.sync();
    await eventually(async () => (loki.seen.length >= 2 ? true : undefined));
    await first.stop(0);
    expect(loki.got).toHaveLength(0);

    loki.script = () => undefined;
    const second = await open();
    expect(second.pendingRecords).toBeGreaterThan(0);
    second.start();
    second.append(makeStreams(3, 10, 5));
    await delivered(180);
    await drained(second);
    expect(checkOrder(loki.got)).toEqual({ outOfOrder: 0, duplicates: 0, distinct: 180 });
  });

  it("after a restart in the middle of delivery, loses nothing and keeps each stream's order", async () => {
    let up = true;
    loki.script = (n) => (up && n < 3 ? undefined : { status: 503 });
    const first = await open({ batchSizeBytes: 300 });
    first.start();
    for (let r = 0; r < 5; r++) first.append(makeStreams(3, 10, r, 20));
    await first.sync();
    await eventually(async () => (loki.seen.length >= 5 ? true : undefined));
    await first.stop(0);
    const before = loki.got.length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(150);

    up = false;
    loki.script = () => undefined;
    const second = await open({ batchSizeBytes: 300 });
    second.start();
    await delivered(150);
    await drained(second);
    // At least once: lines sent before the restart may come again (the seed drops identical lines),
    // but none is missing and, duplicates aside, each stream stays in order.
    const c = checkOrder(loki.got);
    expect(c.distinct).toBe(150);
    expect(c.outOfOrder).toBe(0);
    expect(loki.got.length - c.distinct).toBeLessThanOrEqual(before);
  });

  it("sends what is pending at once on stop, within the grace period", async () => {
    const s = await open(
      { batchWaitMs: 3_600_000 },
      { sleep: (_ms, signal) => new Promise((r) => signal.addEventListener("abort", () => r())) },
    );
    s.start();
    s.append(makeStreams(2, 3));
    await s.stop(10_000);
    expect(checkOrder(loki.got)).toEqual({ outOfOrder: 0, duplicates: 0, distinct: 6 });
    expect(s.append(makeStreams(1, 1))).toEqual({ queued: 0, dropped: 1 });
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "stopped" })).toBe(1);
  });

  it("takes lines as bytes or strings of a stream checked once, in order with append, into records at sync", async () => {
    const s = await open({ lanes: 1 });
    s.start();
    const web = s.lineStream({ pod: "web", app: "shop" });
    const bad = s.lineStream({ "bad-name": "x" });
    expect(web).toEqual([
      ["app", "shop"],
      ["pod", "web"],
    ]);
    expect(bad).toBe('invalid label name "bad-name"');
    const file = Buffer.from("2024-05-01T10:00:00Z stdout F héllo\n", "utf8");
    const at = file.indexOf("héllo");
    s.appendBytes(web, 1_700_000_000_123, 456_789, file, at, file.length - 1);
    s.appendText(web, 1_700_000_000_124, 0, "joined line");
    s.appendBytes(bad, 1_700_000_000_125, 0, file, at, file.length - 1);
    // Nothing is queued until the record is handed over, by a sync or an append.
    expect(s.pendingRecords).toBe(0);
    s.append([
      {
        labels: { app: "shop", pod: "web" },
        entries: [{ tsNs: 1_700_000_000_126_000_000n, line: "appended" }],
      },
    ]);
    s.appendText(web, 1_700_000_000_127, 1, "after");
    await s.sync();
    await delivered(4);
    expect(loki.got).toEqual([
      {
        stream: '{app="shop", pod="web"}',
        tsNs: 1_700_000_000_123_456_789n,
        line: "héllo",
        metadata: undefined,
      },
      {
        stream: '{app="shop", pod="web"}',
        tsNs: 1_700_000_000_124_000_000n,
        line: "joined line",
        metadata: undefined,
      },
      {
        stream: '{app="shop", pod="web"}',
        tsNs: 1_700_000_000_126_000_000n,
        line: "appended",
        metadata: undefined,
      },
      {
        stream: '{app="shop", pod="web"}',
        tsNs: 1_700_000_000_127_000_001n,
        line: "after",
        metadata: undefined,
      },
    ]);
    expect(await metric("mirador_agent_logs_entries_queued_total")).toBe(4);
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "invalid_labels" })).toBe(1);
  });

  it("drops lines given while the flow is off, counted at the next sync", async () => {
    const s = await open();
    s.start();
    const web = s.lineStream({ app: "web" });
    s.setFlowEnabled(false);
    s.appendText(web, 1, 0, "dropped");
    s.appendText(web, 2, 0, "dropped too");
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "flow_disabled" })).toBe(0);
    await s.sync();
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "flow_disabled" })).toBe(2);
    s.setFlowEnabled(true);
    s.appendText(web, 3, 0, "sent");
    await s.sync();
    await delivered(1);
    expect(loki.got.map((g) => g.line)).toEqual(["sent"]);
  });

  it("drops streams with unusable labels and lines too large for the queue, counted", async () => {
    const s = await open({ segmentBytes: 4096, maxQueueBytes: 1 << 20 });
    s.start();
    const r = s.append([
      { labels: { "bad-name": "x" }, entries: [{ tsNs: 1n, line: "a" }] },
      { labels: { app: "" }, entries: [{ tsNs: 1n, line: "b" }] },
      {
        labels: { app: "ok" },
        entries: [
          { tsNs: 1n, line: "c" },
          { tsNs: 2n, line: "x".repeat(5000) },
          { tsNs: 3n, line: "d" },
        ],
      },
    ]);
    expect(r).toEqual({ queued: 2, dropped: 3 });
    await delivered(2);
    expect(loki.got.map((g) => g.line)).toEqual(["c", "d"]);
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "invalid_labels" })).toBe(2);
    expect(await metric("mirador_agent_logs_entries_dropped_total", { reason: "too_large" })).toBe(1);
  });

  it("stays within the queue's max bytes while the seed is down, counting what it drops", async () => {
    loki.script = () => ({ status: 503 });
    const s = await open({ segmentBytes: 4096, maxQueueBytes: 16384, recordBytes: 1024 });
    s.start();
    for (let r = 0; r < 40; r++) s.append(makeStreams(1, 10, r, 60));
    await s.sync();
    expect(s.depth().bytes).toBeLessThanOrEqual(16384);
    expect(await metric("mirador_agent_logs_queue_bytes")).toBeLessThanOrEqual(16384);
    expect(
      await metric("mirador_agent_logs_queue_records_dropped_total", { reason: "max_bytes" }),
    ).toBeGreaterThan(0);
    expect(
      await metric("mirador_agent_logs_entries_dropped_total", { reason: "queue_full" }),
    ).toBeGreaterThan(0);
    expect(await metric("mirador_agent_logs_oldest_unsent_entry_age_seconds")).toBeGreaterThanOrEqual(0);
  });

  it("sends with the cluster's client certificate over mTLS", async () => {
    const pki = await createTestPki(join(dir, "pki"), "edge-1");
    const secure = new TestLoki();
    await secure.start({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem });
    try {
      const s = await open({
        url: secure.url,
        tls: { cert: pki.client.certPem, key: pki.client.keyPem, ca: pki.ca.certPem },
      });
      s.start();
      s.append(makeStreams(1, 3));
      await eventually(async () => (secure.got.length === 3 ? true : undefined));
      expect(secure.seen[0]!.serial).toBe(pki.client.serialNumber.toLowerCase());
      await s.stop(0);
    } finally {
      await secure.close();
    }
  });

  it("refuses an https url without a client certificate, naming the setting", async () => {
    await expect(open({ url: "https://seed.example:8443" })).rejects.toThrow(
      /no client certificate was given \(tls\)/,
    );
    await expect(open({ batchSizeBytes: 0 })).rejects.toThrow(/batch_size must be a number > 0/);
  });
});
