import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nopLogger } from "../lib/log/logger.js";
import { Seed } from "../server/seed.js";
import { startTestSeed, testConfig } from "../test-support/seed.js";
import { encodePushRequestJson, encodePushRequestSnappy } from "../wire/loki/push.testlib.js";
import { encodeLogsJson, encodeLogsProto, oneResource, str } from "../wire/otlp/otlp-logs.testlib.js";

const MS = 1_000_000n;
/** A minute boundary ten minutes ago, in ms: well inside Loki's default age limits. */
const T0 = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
const ns = (ms: number): bigint => BigInt(ms) * MS;

async function push(url: string, tenant: string, body: Uint8Array, contentType: string): Promise<Response> {
  return fetch(`${url}/loki/api/v1/push`, {
    method: "POST",
    headers: { "content-type": contentType, "x-scope-orgid": tenant },
    body,
  });
}

async function get(url: string, path: string, tenant: string, params: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`, {
    headers: { "x-scope-orgid": tenant },
  });
  const text = await res.text();
  return { status: res.status, text, json: res.ok ? JSON.parse(text) : undefined };
}

const apiLines = [
  { timestampNs: ns(T0 + 1000), line: '{"level":"info","msg":"started"}' },
  { timestampNs: ns(T0 + 2000), line: '{"level":"error","msg":"failed"}' },
  { timestampNs: ns(T0 + 3000), line: '{"level":"info","msg":"retried"}' },
];

describe("the logs role over HTTP", () => {
  let url: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ url, stop } = await startTestSeed({ logs: { max_push_body_bytes: 100_000 } }, "logs"));
    const proto = encodePushRequestSnappy({
      streams: [{ labels: '{app="api", env="prod"}', entries: apiLines }],
    });
    expect((await push(url, "a", proto, "application/x-protobuf")).status).toBe(204);
    const json = encodePushRequestJson([
      {
        labels: [["app", "web"]],
        entries: [
          { timestampNs: ns(T0 + 4000), line: "GET /index 200" },
          { timestampNs: ns(T0 + 5000), line: "GET /missing 404", structuredMetadata: [["trace_id", "t1"]] },
        ],
      },
    ]);
    expect((await push(url, "a", json, "application/json")).status).toBe(204);
    const other = encodePushRequestJson([
      { labels: [["app", "api"]], entries: [{ timestampNs: ns(T0 + 1500), line: "secret-b" }] },
    ]);
    expect((await push(url, "b", other, "application/json")).status).toBe(204);
  });
  afterAll(() => stop());

  it("answers a log query_range with streams in the asked direction", async () => {
    const r = await get(url, "/loki/api/v1/query_range", "a", {
      query: '{app="api"}',
      start: String(ns(T0)),
      end: String(ns(T0 + 60_000)),
      direction: "forward",
    });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("success");
    expect(r.json.data.resultType).toBe("streams");
    expect(r.json.data.result).toEqual([
      {
        stream: { app: "api", env: "prod" },
        values: apiLines.map((e) => [String(e.timestampNs), e.line]),
      },
    ]);
    const back = await get(url, "/loki/api/v1/query_range", "a", {
      query: '{app=~".+"} != "404"',
      start: String(T0 / 1000),
      end: new Date(T0 + 60_000).toISOString(),
      limit: "2",
    });
    // Newest first across streams (limit 2), streams sorted by labels.
    expect(back.json.data.result).toEqual([
      {
        stream: { app: "api", env: "prod" },
        values: [[String(apiLines[2]!.timestampNs), apiLines[2]!.line]],
      },
      { stream: { app: "web" }, values: [[String(ns(T0 + 4000)), "GET /index 200"]] },
    ]);
  });

  it("answers a metric query_range with a matrix", async () => {
    const at = (T0 + 60_000) / 1000;
    const r = await get(url, "/loki/api/v1/query_range", "a", {
      query: 'sum by (level) (count_over_time({app="api"} | json [1m]))',
      start: String(at),
      end: String(at),
      step: "60s",
    });
    expect(r.status).toBe(200);
    expect(r.json.data.resultType).toBe("matrix");
    expect(r.json.data.result).toEqual([
      { metric: { level: "error" }, values: [[at, "1"]] },
      { metric: { level: "info" }, values: [[at, "2"]] },
    ]);
  });

  it("answers Grafana's health check with 2", async () => {
    const r = await get(url, "/loki/api/v1/query", "a", { query: "vector(1)+vector(1)", time: "4000000000" });
    expect(r.status).toBe(200);
    expect(r.json.data.resultType).toBe("vector");
    // 4000000000 has ten digits: seconds, as Loki reads it.
    expect(r.json.data.result).toEqual([{ metric: {}, value: [4_000_000_000, "2"] }]);
  });

  it("answers an instant metric query with a vector", async () => {
    const r = await get(url, "/loki/api/v1/query", "a", {
      query: 'sum by (app) (count_over_time({app="web"}[1m]))',
      time: String(ns(T0 + 30_000)),
    });
    expect(r.json.data.result).toEqual([{ metric: { app: "web" }, value: [(T0 + 30_000) / 1000, "2"] }]);
  });

  it("lists labels, label values and series", async () => {
    const range = { start: String(ns(T0)), end: String(ns(T0 + 60_000)) };
    expect((await get(url, "/loki/api/v1/labels", "a", range)).json).toEqual({
      status: "success",
      data: ["app", "env"],
    });
    expect((await get(url, "/loki/api/v1/label/app/values", "a", range)).json.data).toEqual(["api", "web"]);
    expect(
      (await get(url, "/loki/api/v1/label/app/values", "a", { query: '{env="prod"}' })).json.data,
    ).toEqual(["api"]);
    const series = await get(url, "/loki/api/v1/series", "a", { "match[]": '{app=~"a.*|w.*"}' });
    expect(series.json.data).toEqual([{ app: "api", env: "prod" }, { app: "web" }]);
  });

  it("keeps tenants apart and merges them when asked", async () => {
    const q = {
      query: '{app="api"}',
      start: String(ns(T0)),
      end: String(ns(T0 + 60_000)),
      direction: "forward",
    };
    const b = await get(url, "/loki/api/v1/query_range", "b", q);
    expect(b.json.data.result).toEqual([
      { stream: { app: "api" }, values: [[String(ns(T0 + 1500)), "secret-b"]] },
    ]);
    const a = await get(url, "/loki/api/v1/query_range", "a", q);
    expect(a.text).not.toContain("secret-b");
    const both = await get(url, "/loki/api/v1/query_range", "a|b", q);
    expect(both.json.data.result.map((s: { stream: unknown }) => s.stream)).toEqual([
      { app: "api" },
      { app: "api", env: "prod" },
    ]);
    expect((await get(url, "/loki/api/v1/labels", "a|b")).json.data).toEqual(["app", "env"]);
    const count = await get(url, "/loki/api/v1/query", "a|b", {
      query: 'sum(count_over_time({app="api"}[1m]))',
      time: String(ns(T0 + 30_000)),
    });
    expect(count.json.data.result[0].value[1]).toBe("4");
    expect((await get(url, "/loki/api/v1/labels", "nobody")).json.data).toEqual([]);
  });

  it("formats queries and reports build info", async () => {
    const f = await get(url, "/loki/api/v1/format_query", "a", { query: '{app="api"}|="x"' });
    expect(f.json.status).toBe("success");
    expect(typeof f.json.data).toBe("string");
    const info = await fetch(`${url}/loki/api/v1/status/buildinfo`);
    expect(await info.json()).toHaveProperty("version");
  });

  it("takes form POSTs as Grafana sends them, and gzip'd JSON pushes", async () => {
    const body = gzipSync(
      encodePushRequestJson([
        { labels: [["app", "gz"]], entries: [{ timestampNs: ns(T0 + 7000), line: "zipped" }] },
      ]),
    );
    const res = await fetch(`${url}/loki/api/v1/push`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip", "x-scope-orgid": "a" },
      body,
    });
    expect(res.status).toBe(204);
    const r = await fetch(`${url}/loki/api/v1/query_range`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-scope-orgid": "a" },
      body: new URLSearchParams({
        query: '{app="gz"}',
        start: String(ns(T0)),
        end: String(ns(T0 + 60_000)),
        step: "15000ms",
      }),
    });
    const answer = (await r.json()) as { data: { result: unknown } };
    expect(answer.data.result).toEqual([
      { stream: { app: "gz" }, values: [[String(ns(T0 + 7000)), "zipped"]] },
    ]);
  });

  it("answers errors with Loki's statuses and plain-text bodies", async () => {
    const parse = await get(url, "/loki/api/v1/query_range", "a", { query: '{app="api"' });
    expect(parse.status).toBe(400);
    expect(parse.text).toMatch(/parse error/);
    expect(
      (await get(url, "/loki/api/v1/query_range", "a", { query: '{app="api"}', direction: "up" })).status,
    ).toBe(400);
    expect(
      (await get(url, "/loki/api/v1/query_range", "a", { query: '{app="api"}', limit: "99999" })).status,
    ).toBe(400);
    expect((await get(url, "/loki/api/v1/series", "a")).status).toBe(400);
    const noTenant = await fetch(`${url}/loki/api/v1/labels`);
    expect(noTenant.status).toBe(401);
    expect(noTenant.headers.get("content-type")).toMatch(/^text\/plain/);

    const ok = encodePushRequestJson([
      { labels: [["app", "x"]], entries: [{ timestampNs: ns(T0), line: "x" }] },
    ]);
    expect((await push(url, "a", ok, "text/csv")).status).toBe(415);
    expect((await push(url, "a", new TextEncoder().encode("{not json"), "application/json")).status).toBe(
      400,
    );
    expect((await push(url, "a", new Uint8Array(200_000), "application/json")).status).toBe(413);
    const old = encodePushRequestJson([
      { labels: [["app", "x"]], entries: [{ timestampNs: ns(Date.now() - 30 * 86_400_000), line: "old" }] },
    ]);
    const refused = await push(url, "a", old, "application/json");
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/refused/);
  });
});

describe("the logs role's data on disk", () => {
  it("serves the lines it acknowledged before stopping, from the WAL", async () => {
    const config = testConfig();
    try {
      const first = new Seed(config, nopLogger, { target: "logs" });
      await first.start();
      const url1 = `http://127.0.0.1:${first.httpPort}`;
      const body = encodePushRequestSnappy({ streams: [{ labels: '{app="api"}', entries: apiLines }] });
      expect((await push(url1, "team.one", body, "application/x-protobuf")).status).toBe(204);
      await first.stop();

      const second = new Seed(config, nopLogger, { target: "logs" });
      await second.start();
      try {
        const url2 = `http://127.0.0.1:${second.httpPort}`;
        const r = await get(url2, "/loki/api/v1/query_range", "team.one", {
          query: '{app="api"} | json | level="info"',
          start: String(ns(T0)),
          end: String(ns(T0 + 60_000)),
          direction: "forward",
        });
        const lines = r.json.data.result.flatMap((s: { values: string[][] }) => s.values.map((v) => v[1]));
        expect(lines.sort()).toEqual([apiLines[2]!.line, apiLines[0]!.line]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(config.data_dir, { recursive: true, force: true });
    }
  });

  it("deletes a removed tenant's logs and keeps the others", async () => {
    const config = testConfig();
    const seed = new Seed(config, nopLogger, { target: "logs" });
    await seed.start();
    try {
      const url = `http://127.0.0.1:${seed.httpPort}`;
      const body = encodePushRequestSnappy({ streams: [{ labels: '{app="api"}', entries: apiLines }] });
      for (const t of ["gone", "kept"])
        expect((await push(url, t, body, "application/x-protobuf")).status).toBe(204);
      await seed.roles.logs!.deleteTenant("gone");
      const count = async (tenant: string) => {
        const r = await get(url, "/loki/api/v1/query_range", tenant, {
          query: '{app="api"}',
          start: String(ns(T0)),
          end: String(ns(T0 + 60_000)),
        });
        return r.json.data.result.flatMap((x: { values: unknown[] }) => x.values).length;
      };
      expect(await count("gone")).toBe(0);
      expect(await count("kept")).toBe(3);
      expect(readdirSync(join(config.data_dir, "logs"))).toEqual(["kept"]);
    } finally {
      await seed.stop();
      rmSync(config.data_dir, { recursive: true, force: true });
    }
  });
});

describe("the logs role's blocks, limits and retention", () => {
  const count = async (url: string, tenant: string): Promise<number> => {
    const r = await get(url, "/loki/api/v1/query_range", tenant, {
      query: '{app=~".+"}',
      start: String(ns(T0 - 3_600_000)),
      end: String(ns(T0 + 3_600_000)),
      limit: "5000",
    });
    return r.json.data.result.flatMap((x: { values: unknown[] }) => x.values).length;
  };

  it("flushes heads into blocks on POST /flush and serves them after a restart with the WAL truncated", async () => {
    const config = testConfig();
    try {
      const first = new Seed(config, nopLogger, { target: "logs" });
      await first.start();
      const url1 = `http://127.0.0.1:${first.httpPort}`;
      const body = encodePushRequestSnappy({ streams: [{ labels: '{app="api"}', entries: apiLines }] });
      expect((await push(url1, "t", body, "application/x-protobuf")).status).toBe(204);
      expect((await fetch(`${url1}/flush`, { method: "POST" })).status).toBe(204);
      const late = encodePushRequestJson([
        { labels: [["app", "web"]], entries: [{ timestampNs: ns(T0 + 9000), line: "after the flush" }] },
      ]);
      expect((await push(url1, "t", late, "application/json")).status).toBe(204);
      expect(await count(url1, "t")).toBe(4);
      await first.stop();
      expect(readdirSync(join(config.data_dir, "logs", "t", "blocks"))).toEqual(["00000001"]);

      const second = new Seed(config, nopLogger, { target: "logs" });
      await second.start();
      try {
        expect(await count(`http://127.0.0.1:${second.httpPort}`, "t")).toBe(4);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(config.data_dir, { recursive: true, force: true });
    }
  });

  it("refuses a push over the tenant's ingestion rate with 429 and Retry-After, keeping nothing of it", async () => {
    const { url, stop } = await startTestSeed(
      {
        logs: {
          limits: { ingestion_rate_mb: 0.0001, ingestion_burst_size_mb: 0.0001 },
          tenant_limits: { big: { ingestion_rate_mb: 0 } },
        },
      },
      "logs",
    );
    try {
      const line = "x".repeat(60);
      const body = (t: number) =>
        encodePushRequestJson([{ labels: [["app", "a"]], entries: [{ timestampNs: ns(T0 + t), line }] }]);
      expect((await push(url, "small", body(1), "application/json")).status).toBe(204);
      const refused = await push(url, "small", body(2), "application/json");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await refused.text()).toMatch(/logs\.limits\.ingestion_rate_mb/);
      expect(await count(url, "small")).toBe(1);
      for (let t = 1; t <= 3; t++)
        expect((await push(url, "big", body(t), "application/json")).status).toBe(204);
    } finally {
      await stop();
    }
  });

  it("refuses streams past max_global_streams_per_user naming the setting", async () => {
    const { url, stop } = await startTestSeed(
      { logs: { tenant_limits: { t: { max_global_streams_per_user: 2 } } } },
      "logs",
    );
    try {
      const body = encodePushRequestJson(
        ["a", "b", "c"].map((app) => ({
          labels: [["app", app]] as [string, string][],
          entries: [{ timestampNs: ns(T0), line: app }],
        })),
      );
      const r = await push(url, "t", body, "application/json");
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/stream_limit=1.*logs\.tenant_limits\.t\.max_global_streams_per_user/s);
      expect(await count(url, "t")).toBe(2);
    } finally {
      await stop();
    }
  });

  it("deletes blocks past the tenant's retention period in maintenance", async () => {
    const config = testConfig();
    config.logs.tenant_limits.short = { retention_period: 60_000 };
    const seed = new Seed(config, nopLogger, { target: "logs" });
    await seed.start();
    try {
      const url = `http://127.0.0.1:${seed.httpPort}`;
      const body = encodePushRequestSnappy({ streams: [{ labels: '{app="api"}', entries: apiLines }] });
      for (const t of ["short", "long"])
        expect((await push(url, t, body, "application/x-protobuf")).status).toBe(204);
      await seed.roles.logs!.flushAll();
      // T0 is ten minutes ago: past `short`'s one-minute retention, well inside the default.
      await seed.roles.logs!.maintain(Date.now());
      expect(await count(url, "short")).toBe(0);
      expect(await count(url, "long")).toBe(3);
      expect(readdirSync(join(config.data_dir, "logs", "short", "blocks"))).toEqual([]);
    } finally {
      await seed.stop();
      rmSync(config.data_dir, { recursive: true, force: true });
    }
  });
});

describe("OTLP/HTTP logs on the seed", () => {
  it("maps resource attributes to stream labels and the rest to structured metadata, in both encodings", async () => {
    const { url, stop } = await startTestSeed({}, "logs");
    try {
      const doc = (line: string, t: number) =>
        oneResource(
          [str("service.name", "checkout"), str("k8s.namespace.name", "shop"), str("host.name", "node-1")],
          [
            {
              timeUnixNano: String(ns(T0 + t)),
              severityText: "ERROR",
              body: { stringValue: line },
              attributes: [str("user", "u1")],
              traceId: "0102030405060708090a0b0c0d0e0f10",
            },
          ],
        );
      const proto = await fetch(`${url}/otlp/v1/logs`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf", "x-scope-orgid": "o" },
        body: encodeLogsProto(doc("payment failed", 1000)),
      });
      expect(proto.status).toBe(200);
      const json = await fetch(`${url}/otlp/v1/logs`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-scope-orgid": "o" },
        body: encodeLogsJson(doc("payment retried", 2000)),
      });
      expect(json.status).toBe(200);
      expect(await json.text()).toBe("{}");
      const r = await get(url, "/loki/api/v1/query_range", "o", {
        query:
          '{service_name="checkout"} | severity_text="ERROR" | trace_id="0102030405060708090a0b0c0d0e0f10"',
        start: String(ns(T0)),
        end: String(ns(T0 + 60_000)),
        direction: "forward",
      });
      expect(r.status).toBe(200);
      const [stream] = r.json.data.result;
      expect(stream.stream).toMatchObject({
        service_name: "checkout",
        k8s_namespace_name: "shop",
        host_name: "node-1",
        user: "u1",
      });
      expect(stream.values.map((v: string[]) => v[1])).toEqual(["payment failed", "payment retried"]);
      const labels = await get(url, "/loki/api/v1/labels", "o", {
        start: String(ns(T0)),
        end: String(ns(T0 + 60_000)),
      });
      expect(labels.json.data).toEqual(["k8s_namespace_name", "service_name"]);
      const bad = await fetch(`${url}/otlp/v1/logs`, {
        method: "POST",
        headers: { "content-type": "text/plain", "x-scope-orgid": "o" },
        body: "hello",
      });
      expect(bad.status).toBe(415);
    } finally {
      await stop();
    }
  });
});
