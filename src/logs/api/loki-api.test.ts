import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { nopLogger } from "../../lib/log/logger.js";
import { Router } from "../../server/http/router.js";
import { HttpServer } from "../../server/http/server.js";
import { eventually } from "../../test-support/seed.js";
import { EMPTY_LOG_QUERIER, LogHead, type LogQuerier, MergeLogQuerier } from "../store/index.js";
import { registerLokiApi } from "./loki-api.js";

const MS = 1_000_000n;
const NOW = Date.now();
/** A minute boundary ten minutes ago, ms. */
const T0 = Math.floor((NOW - 10 * 60_000) / 60_000) * 60_000;
const ns = (ms: number): bigint => BigInt(ms) * MS;

const API_LINES = ["GET /a 200", "POST /b 500", "GET /c 404"];
const WEB_LINES = ["hello", "world!"];
const bytes = (lines: string[]) => lines.reduce((n, l) => n + l.length, 0);

let dir: string;
const heads = new Map<string, LogHead>();
let server: HttpServer;
let port: number;

async function push(tenant: string, labels: [string, string][], entries: [number, string][]) {
  const r = await heads
    .get(tenant)!
    .append([{ labels, entries: entries.map(([ms, line]) => ({ tsNs: ns(ms), line })) }]);
  expect(r.accepted).toBe(entries.length);
}

async function get(path: string, params: Record<string, string> = {}, tenant = "a") {
  const res = await fetch(`http://127.0.0.1:${port}${path}?${new URLSearchParams(params)}`, {
    headers: { "x-scope-orgid": tenant },
  });
  const text = await res.text();
  return { status: res.status, text, json: res.ok ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-loki-api-"));
  for (const t of ["a", "b"]) heads.set(t, await LogHead.open(join(dir, t), { syncMode: "never" }));
  await push(
    "a",
    [
      ["app", "api"],
      ["env", "prod"],
    ],
    API_LINES.map((l, i) => [T0 + 1000 * (i + 1), l]),
  );
  await push(
    "a",
    [["app", "web"]],
    WEB_LINES.map((l, i) => [T0 + 10_000 + 1000 * i, l]),
  );
  await push("a", [["app", "old"]], [[NOW - 3 * 3_600_000, "long ago"]]);
  const router = new Router();
  registerLokiApi(router, {
    querier: async (tenants): Promise<LogQuerier> => {
      const qs = tenants.flatMap((t) => {
        const h = heads.get(t);
        return h === undefined ? [] : [h.querier()];
      });
      if (qs.length === 0) return EMPTY_LOG_QUERIER;
      return qs.length === 1 ? qs[0]! : new MergeLogQuerier(qs);
    },
    maxEntriesLimit: 1000,
    maxBodyBytes: 100_000,
    version: "test",
    maxConcurrentTails: 2,
    tailPollMs: 20,
  });
  server = new HttpServer({ name: "test", router, logger: nopLogger, metrics: new Registry() });
  port = await server.listen("127.0.0.1", 0);
});

afterAll(async () => {
  await server.close(0);
  for (const h of heads.values()) await h.close();
  await rm(dir, { recursive: true, force: true });
});

describe("labels and series over a time range", () => {
  it("leave out streams without data in the range (default: the last hour)", async () => {
    expect((await get("/loki/api/v1/label/app/values")).json.data).toEqual(["api", "web"]);
    const wide = { start: String(ns(NOW - 4 * 3_600_000)) };
    expect((await get("/loki/api/v1/label/app/values", wide)).json.data).toEqual(["api", "old", "web"]);
    expect((await get("/loki/api/v1/labels", { start: String(ns(T0 + 5000)) })).json.data).toEqual(["app"]);
    expect((await get("/loki/api/v1/labels")).json.data).toEqual(["app", "env"]);
    expect((await get("/loki/api/v1/series", { "match[]": '{app=~".+"}' })).json.data).toEqual([
      { app: "api", env: "prod" },
      { app: "web" },
    ]);
    const old = await get("/loki/api/v1/series", { "match[]": '{app="old"}', ...wide });
    expect(old.json.data).toEqual([{ app: "old" }]);
    expect(
      (await get("/loki/api/v1/label/app/values", { query: '{env="prod"}', ...wide })).json.data,
    ).toEqual(["api"]);
  });
});

describe("index stats and volume", () => {
  const range = { start: String(ns(T0)), end: String(ns(T0 + 60_000)) };

  it("sums the streams, chunks, entries and bytes a selector covers", async () => {
    const r = await get("/loki/api/v1/index/stats", { query: '{app=~"api|web"}', ...range });
    expect(r.json).toEqual({
      streams: 2,
      chunks: 2,
      entries: 5,
      bytes: bytes(API_LINES) + bytes(WEB_LINES),
    });
    const none = await get("/loki/api/v1/index/stats", { query: '{app="old"}', ...range });
    expect(none.json).toEqual({ streams: 0, chunks: 0, entries: 0, bytes: 0 });
    expect((await get("/loki/api/v1/index/stats", range)).status).toBe(400);
  });

  it("answers volume as a vector of bytes per series, largest first, limited", async () => {
    const r = await get("/loki/api/v1/index/volume", { query: '{app=~".+"}', ...range });
    expect(r.json.status).toBe("success");
    expect(r.json.data.resultType).toBe("vector");
    const at = (T0 + 60_000) / 1000;
    expect(r.json.data.result).toEqual([
      { metric: { app: "api" }, value: [at, String(bytes(API_LINES))] },
      { metric: { app: "web" }, value: [at, String(bytes(WEB_LINES))] },
    ]);
    const one = await get("/loki/api/v1/index/volume", { query: '{app=~".+"}', limit: "1", ...range });
    expect(one.json.data.result.map((s: { metric: unknown }) => s.metric)).toEqual([{ app: "api" }]);
    const env = await get("/loki/api/v1/index/volume", {
      query: '{app=~".+"}',
      targetLabels: "env",
      ...range,
    });
    expect(env.json.data.result).toEqual([
      { metric: { env: "prod" }, value: [at, String(bytes(API_LINES))] },
    ]);
    const byLabel = await get("/loki/api/v1/index/volume", {
      query: '{app=~".+"}',
      targetLabels: "app,env",
      aggregateBy: "labels",
      ...range,
    });
    expect(byLabel.json.data.result.map((s: { metric: unknown }) => s.metric)).toEqual([
      { app: "" },
      { env: "" },
    ]);
    expect((await get("/loki/api/v1/index/volume", { query: '{app=~".+"}', aggregateBy: "x" })).status).toBe(
      400,
    );
    expect((await get("/loki/api/v1/index/volume", { query: 'rate({app=~".+"}[1m])' })).status).toBe(400);
  });

  it("answers volume_range as a matrix with one point per step holding data", async () => {
    const r = await get("/loki/api/v1/index/volume_range", { query: '{app=~".+"}', step: "30s", ...range });
    expect(r.json.data.resultType).toBe("matrix");
    expect(r.json.data.result).toEqual([
      { metric: { app: "api" }, values: [[T0 / 1000, String(bytes(API_LINES))]] },
      { metric: { app: "web" }, values: [[T0 / 1000, String(bytes(WEB_LINES))]] },
    ]);
    const tooFine = await get("/loki/api/v1/index/volume_range", {
      query: '{app=~".+"}',
      step: "1ms",
      ...range,
    });
    expect(tooFine.status).toBe(400);
  });

  it("reads several tenants as one", async () => {
    await push("b", [["app", "api"]], [[T0 + 20_000, "from b"]]);
    const r = await get("/loki/api/v1/index/stats", { query: '{app="api"}', ...range }, "a|b");
    expect(r.json).toMatchObject({ streams: 2, entries: 4 });
  });
});

interface TailFrame {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
  dropped_entries: unknown;
}

/** A tail client that records every frame and the close. */
function openTail(params: Record<string, string>, tenant = "a") {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/loki/api/v1/tail?${new URLSearchParams(params)}`, {
    headers: { "x-scope-orgid": tenant },
  });
  const frames: TailFrame[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as TailFrame));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const lines = () => frames.flatMap((f) => f.streams.flatMap((s) => s.values.map((v) => v[1])));
  return { ws, frames, closed, opened, lines };
}

/** The HTTP status and body of a tail refused before the upgrade. */
function refusedTail(
  params: Record<string, string>,
  headers: Record<string, string> = { "x-scope-orgid": "a" },
) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/loki/api/v1/tail?${new URLSearchParams(params)}`, {
    headers,
  });
  ws.on("error", () => {});
  return new Promise<{ status: number; body: string }>((resolve) => {
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

describe("tail over a WebSocket", () => {
  it("sends the history, then each new entry once, through the pipeline, and closes cleanly", async () => {
    const t = openTail({ query: '{app="api"} |= "GET"', start: String(ns(T0)), limit: "1" });
    await t.opened;
    // The newest GET line of the history only (limit 1).
    await eventually(async () => (t.lines().length >= 1 ? true : undefined), 10_000, "the history");
    expect(t.frames[0]).toEqual({
      streams: [{ stream: { app: "api", env: "prod" }, values: [[String(ns(T0 + 3000)), "GET /c 404"]] }],
      dropped_entries: null,
    });
    const now = Date.now();
    await push(
      "a",
      [
        ["app", "api"],
        ["env", "prod"],
      ],
      [
        [now, "GET /live 1"],
        [now, "POST /live 2"],
        [now, "GET /live 3"],
        [now + 1, "GET /live 4"],
      ],
    );
    await eventually(async () => (t.lines().length >= 4 ? true : undefined), 10_000, "the live lines");
    // Several more polls go by; nothing is sent twice.
    const polled = t.frames.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(t.frames.length).toBe(polled);
    expect(t.lines()).toEqual(["GET /c 404", "GET /live 1", "GET /live 3", "GET /live 4"]);
    t.ws.close(1000, "bye");
    expect(await t.closed).toEqual({ code: 1000, reason: "bye" });
  });

  it("tails several tenants as one", async () => {
    const t = openTail({ query: '{app="api"} |= "tenant"' }, "a|b");
    await t.opened;
    await push("b", [["app", "api"]], [[Date.now(), "tenant b"]]);
    await eventually(async () => (t.lines().length >= 1 ? true : undefined), 10_000, "b's line");
    expect(t.frames[0]?.streams[0]?.stream).toEqual({ app: "api" });
    t.ws.close();
    await t.closed;
  });

  it("refuses a bad request before the upgrade, and a metric query with a close reason", async () => {
    const parse = await refusedTail({ query: '{app="api"' });
    expect(parse.status).toBe(400);
    expect(parse.body).toMatch(/parse error/);
    expect((await refusedTail({ query: '{app="api"}', delay_for: "6" })).status).toBe(400);
    expect((await refusedTail({ query: '{app="api"}' }, {})).status).toBe(401);
    const metric = openTail({ query: 'rate({app="api"}[1m])' });
    expect(await metric.closed).toEqual({
      code: 1008,
      reason: expect.stringMatching(/not a metric query/),
    });
  });

  it("caps concurrent tails, and frees a place when a tail closes", async () => {
    const first = openTail({ query: '{app="api"}' });
    const second = openTail({ query: '{app="api"}' });
    await Promise.all([first.opened, second.opened]);
    const third = openTail({ query: '{app="api"}' });
    expect(await third.closed).toEqual({ code: 1013, reason: expect.stringMatching(/max concurrent tail/) });
    first.ws.close();
    await first.closed;
    await eventually(
      async () => {
        const again = openTail({ query: '{app="api"}' });
        // A refused tail is opened, then closed; an accepted one sends its history (api lines exist).
        const code = await Promise.race([
          again.closed.then((c) => c.code),
          new Promise<number>((resolve) => again.ws.once("message", () => resolve(0))),
        ]);
        if (code !== 0) return undefined;
        again.ws.close();
        await again.closed;
        return true;
      },
      10_000,
      "a place for a new tail",
    );
    second.ws.close();
    await second.closed;
  });

  it("closes open tails with 1001 when the server stops", async () => {
    const router = new Router();
    registerLokiApi(router, {
      querier: async () => heads.get("a")!.querier(),
      maxEntriesLimit: 100,
      maxBodyBytes: 1000,
      version: "test",
      tailPollMs: 20,
    });
    const other = new HttpServer({ name: "other", router, logger: nopLogger, metrics: new Registry() });
    const otherPort = await other.listen("127.0.0.1", 0);
    const ws = new WebSocket(
      `ws://127.0.0.1:${otherPort}/loki/api/v1/tail?query=${encodeURIComponent('{app="api"}')}`,
      {
        headers: { "x-scope-orgid": "a" },
      },
    );
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise((resolve) => ws.once("open", resolve));
    await other.close(5000);
    expect(await closed).toBe(1001);
  });
});
