import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nopLogger } from "../../lib/log/logger.js";
import type { ServerConfig } from "../../server/config.js";
import { Seed } from "../../server/seed.js";
import { WRITE_HEADERS } from "../../test-support/remote-write.js";
import { testConfig } from "../../test-support/seed.js";
import {
  encodeWriteRequestV1,
  type MetricMetadataV1,
  type TimeSeriesV1,
} from "../../wire/remote-write/v1.js";
import { encodeRequestV2, type TimeSeriesV2 } from "../../wire/remote-write/v2.js";
import { snappyCompress } from "../../wire/snappy.js";

const V2_HEADERS = {
  ...WRITE_HEADERS,
  "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
};
const T0 = 1_600_096_945_000;

const labels = (r: Record<string, string>) => Object.entries(r).map(([name, value]) => ({ name, value }));

function v1(timeseries: TimeSeriesV1[], metadata: MetricMetadataV1[] = []): Uint8Array {
  return snappyCompress(encodeWriteRequestV1({ timeseries, metadata }));
}

function v1Series(
  l: Record<string, string>,
  samples: [number, number][],
  exemplars: [Record<string, string>, number, number][] = [],
): TimeSeriesV1 {
  return {
    labels: labels(l),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
    exemplars: exemplars.map(([el, value, timestamp]) => ({ labels: labels(el), value, timestamp })),
    histogramCount: 0,
  };
}

function v2Series(
  l: Record<string, string>,
  samples: [number, number][],
  metadata = { type: 0, help: "", unit: "" },
  exemplars: [Record<string, string>, number, number][] = [],
): TimeSeriesV2 {
  return {
    labels: labels(l),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value, startTimestamp: 0 })),
    histograms: [],
    exemplars: exemplars.map(([el, value, timestamp]) => ({ labels: labels(el), value, timestamp })),
    metadata,
  };
}

/**
 * `/api/v1/metadata` and `/api/v1/query_exemplars` over HTTP, fed by remote-write 1.0 (metadata per
 * family) and 2.0 (metadata per series), with shapes as Prometheus writes them.
 */
describe("metadata and exemplars from remote-write", () => {
  let config: ServerConfig;
  let seed: Seed;
  let url: string;

  const start = async () => {
    seed = new Seed(config, nopLogger, { target: "metrics" });
    await seed.start();
    url = `http://127.0.0.1:${seed.httpPort}`;
  };
  beforeAll(async () => {
    config = testConfig({ metrics: { tenant_limits: { few: { max_exemplars: 2 } } } });
    await start();
  });
  afterAll(async () => {
    await seed?.stop();
    rmSync(config.data_dir, { recursive: true, force: true });
  });

  const push = (tenant: string, body: Uint8Array, headers: Record<string, string> = WRITE_HEADERS) =>
    fetch(`${url}/api/v1/push`, { method: "POST", headers: { ...headers, "x-scope-orgid": tenant }, body });
  const get = (tenant: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { "x-scope-orgid": tenant, ...init.headers } });
  const text = async (tenant: string, path: string) => {
    const res = await get(tenant, path);
    return { status: res.status, body: await res.text() };
  };

  it("serves remote-write 1.0 metadata, per family, the latest winning, as Prometheus writes it", async () => {
    const first = await push(
      "a",
      v1(
        [],
        [
          { type: 1, metricFamilyName: "http_requests_total", help: "Requests <by> code & path.", unit: "" },
          { type: 2, metricFamilyName: "up", help: "Old help.", unit: "" },
        ],
      ),
    );
    expect(first.status).toBe(204);
    expect(
      (await push("a", v1([], [{ type: 2, metricFamilyName: "up", help: "1 if up.", unit: "" }]))).status,
    ).toBe(204);
    expect(await text("a", "/api/v1/metadata")).toEqual({
      status: 200,
      body:
        '{"status":"success","data":{' +
        '"http_requests_total":[{"type":"counter","help":"Requests \\u003cby\\u003e code \\u0026 path.","unit":""}],' +
        '"up":[{"type":"gauge","help":"1 if up.","unit":""}]}}',
    });
    expect(await text("a", "/api/v1/metadata?metric=up")).toEqual({
      status: 200,
      body: '{"status":"success","data":{"up":[{"type":"gauge","help":"1 if up.","unit":""}]}}',
    });
    expect((await text("a", "/api/v1/metadata?metric=nope")).body).toBe('{"status":"success","data":{}}');
    expect((await text("nobody", "/api/v1/metadata")).body).toBe('{"status":"success","data":{}}');
  });

  it("serves remote-write 2.0 metadata per series under its family, ignoring refused series", async () => {
    const res = await push(
      "b",
      snappyCompress(
        encodeRequestV2({
          timeseries: [
            v2Series({ __name__: "rpc_seconds_bucket", le: "0.5" }, [[T0, 1]], {
              type: 3,
              help: "RPC latency.",
              unit: "seconds",
            }),
            v2Series({ __name__: "rpc_seconds_count" }, [[T0, 1]], {
              type: 3,
              help: "RPC latency.",
              unit: "seconds",
            }),
            v2Series({ __name__: "temperature" }, [[T0, 20]], { type: 2, help: "Celsius.", unit: "" }),
            v2Series({ __name__: "plain" }, [[T0, 1]]),
            v2Series({ job: "nameless" }, [[T0, 1]], { type: 1, help: "Refused.", unit: "" }),
          ],
        }),
      ),
      V2_HEADERS,
    );
    expect(res.status).toBe(400); // the nameless series
    const body = (await (await get("b", "/api/v1/metadata")).json()) as { data: unknown };
    expect(body.data).toEqual({
      rpc_seconds: [{ type: "histogram", help: "RPC latency.", unit: "seconds" }],
      temperature: [{ type: "gauge", help: "Celsius.", unit: "" }],
    });
  });

  it("reads several tenants as one, with limit and limit_per_metric, and checks them", async () => {
    await push("c", v1([], [{ type: 2, metricFamilyName: "up", help: "Up in c.", unit: "" }]));
    const all = (await (await get("a|c", "/api/v1/metadata")).json()) as { data: Record<string, unknown[]> };
    expect(all.data.up).toEqual([
      { type: "gauge", help: "1 if up.", unit: "" },
      { type: "gauge", help: "Up in c.", unit: "" },
    ]);
    const perMetric = (await (await get("a|c", "/api/v1/metadata?limit_per_metric=1")).json()) as {
      data: Record<string, unknown[]>;
    };
    expect(perMetric.data.up).toHaveLength(1);
    const limited = (await (await get("a|c", "/api/v1/metadata?limit=1")).json()) as { data: object };
    expect(Object.keys(limited.data)).toEqual(["http_requests_total"]);
    expect(await text("a", "/api/v1/metadata?limit=some")).toEqual({
      status: 400,
      body: '{"status":"error","errorType":"bad_data","error":"limit must be a number"}',
    });
    expect((await text("a", "/api/v1/metadata?limit_per_metric=1.5")).status).toBe(400);
  });

  it("serves exemplars of remote-write 1.0 and 2.0 for the query's selectors, in range", async () => {
    const one = await push(
      "a",
      v1([
        v1Series(
          { __name__: "req_seconds_bucket", le: "0.5", job: "api" },
          [[T0, 3]],
          [
            [{ trace_id: "abc" }, 0.43, T0 + 479],
            [{ trace_id: "def", span_id: "1" }, 0.25, T0 + 1500],
          ],
        ),
        v1Series(
          { __name__: "req_seconds_bucket", le: "+Inf", job: "web" },
          [[T0, 4]],
          [[{ trace_id: "ghi" }, 7, T0]],
        ),
      ]),
    );
    expect(one.status).toBe(204);
    const two = await push(
      "a",
      snappyCompress(
        encodeRequestV2({
          timeseries: [
            v2Series({ __name__: "rpc_total", job: "api" }, [[T0, 1]], undefined, [
              [{ trace_id: "v2a" }, 1, T0 + 10_000],
              [{ trace_id: "v2b" }, 2, T0 + 20_000],
            ]),
          ],
        }),
      ),
      V2_HEADERS,
    );
    expect(two.status).toBe(204);
    expect(two.headers.get("x-prometheus-remote-write-exemplars-written")).toBe("2");

    const q = (query: string, from = T0 / 1000, to = T0 / 1000 + 60) =>
      text("a", `/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${from}&end=${to}`);
    expect(await q('req_seconds_bucket{job="api"}')).toEqual({
      status: 200,
      body:
        '{"status":"success","data":[{"seriesLabels":{"__name__":"req_seconds_bucket","job":"api","le":"0.5"},"exemplars":[' +
        '{"labels":{"trace_id":"abc"},"value":"0.43","timestamp":1600096945.479},' +
        '{"labels":{"span_id":"1","trace_id":"def"},"value":"0.25","timestamp":1600096946.500}]}]}',
    });
    // Every selector counts, those under a range too; series sorted by labels.
    const both = JSON.parse((await q("sum(rate(req_seconds_bucket[5m])) / rpc_total")).body) as {
      data: { seriesLabels: Record<string, string>; exemplars: { labels: { trace_id: string } }[] }[];
    };
    expect(
      both.data.map((s) => [
        s.seriesLabels.__name__,
        s.seriesLabels.job,
        s.exemplars.map((e) => e.labels.trace_id),
      ]),
    ).toEqual([
      ["req_seconds_bucket", "api", ["abc", "def"]],
      ["req_seconds_bucket", "web", ["ghi"]],
      ["rpc_total", "api", ["v2a", "v2b"]],
    ]);
    // Inclusive bounds.
    const narrow = JSON.parse((await q("rpc_total", T0 / 1000 + 10, T0 / 1000 + 19)).body) as {
      data: { exemplars: unknown[] }[];
    };
    expect(narrow.data[0]?.exemplars).toHaveLength(1);
    expect((await q("nothing_here")).body).toBe('{"status":"success","data":[]}');
    // A query without selectors selects nothing; Prometheus leaves `data` out.
    expect((await q("1 + 1")).body).toBe('{"status":"success"}');
    // POST form, as Grafana sends it.
    const post = await get("a", "/api/v1/query_exemplars", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `query=rpc_total&start=${T0 / 1000}&end=${T0 / 1000 + 60}`,
    });
    expect(((await post.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it("reads exemplars of several tenants, and refuses bad parameters as Prometheus does", async () => {
    await push(
      "c",
      v1([v1Series({ __name__: "rpc_total", job: "c" }, [[T0, 1]], [[{ trace_id: "c1" }, 1, T0]])]),
    );
    const res = (await (
      await get("a|c", `/api/v1/query_exemplars?query=rpc_total&start=${T0 / 1000}`)
    ).json()) as {
      data: { seriesLabels: { job: string } }[];
    };
    expect(res.data.map((s) => s.seriesLabels.job)).toEqual(["api", "c"]);
    const bad = await text("a", "/api/v1/query_exemplars?query=sum(");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ status: "error", errorType: "bad_data" });
    expect(await text("a", "/api/v1/query_exemplars?query=up&start=10&end=5")).toEqual({
      status: 400,
      body: '{"status":"error","errorType":"bad_data","error":"end timestamp must not be before start timestamp"}',
    });
  });

  it("keeps at most max_exemplars per tenant, the newest", async () => {
    await push(
      "few",
      v1([
        v1Series(
          { __name__: "m" },
          [[T0, 1]],
          [
            [{ trace_id: "1" }, 1, T0 + 1],
            [{ trace_id: "2" }, 1, T0 + 2],
            [{ trace_id: "3" }, 1, T0 + 3],
          ],
        ),
      ]),
    );
    const res = (await (await get("few", "/api/v1/query_exemplars?query=m")).json()) as {
      data: { exemplars: { labels: { trace_id: string } }[] }[];
    };
    expect(res.data[0]?.exemplars.map((e) => e.labels.trace_id)).toEqual(["2", "3"]);
  });

  it("keeps metadata across a restart, but not exemplars", async () => {
    const before = await text("a|b", "/api/v1/metadata");
    await seed.stop();
    await start();
    expect(await text("a|b", "/api/v1/metadata")).toEqual(before);
    expect((await text("a", "/api/v1/query_exemplars?query=rpc_total")).body).toBe(
      '{"status":"success","data":[]}',
    );
  });
});
