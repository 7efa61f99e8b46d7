import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSeed } from "../../test-support/seed.js";
import { PbRequest } from "../../wire/otlp/otlp-pbjs.testlib.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;

const nowNs = () => `${BigInt(Date.now() - 5_000) * 1_000_000n}`;

/** An OTLP/JSON export: one service with a counter in seconds and a gauge without unit. */
function exportJson(timeUnixNano: string): {
  resourceMetrics: { resource: unknown; scopeMetrics: { metrics: Record<string, unknown>[] }[] }[];
} {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "checkout" } },
            { key: "service.instance.id", value: { stringValue: "pod-1" } },
            { key: "k8s.namespace.name", value: { stringValue: "shop" } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: "http.server.duration",
                unit: "s",
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      asDouble: 12.5,
                      timeUnixNano,
                      attributes: [{ key: "http.route", value: { stringValue: "/cart" } }],
                    },
                  ],
                },
              },
              { name: "queue.depth", gauge: { dataPoints: [{ asInt: "7", timeUnixNano }] } },
            ],
          },
        ],
      },
    ],
  };
}

describe("OTLP/HTTP metrics ingest", () => {
  let s: Running;
  beforeAll(async () => {
    s = await startTestSeed();
  });
  afterAll(() => s.stop());

  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>, tenant = "otel") =>
    fetch(`${s.url}${path}`, { method: "POST", headers: { "x-scope-orgid": tenant, ...headers }, body });
  async function query(tenant: string, q: string) {
    const res = await fetch(`${s.url}/api/v1/query?query=${encodeURIComponent(q)}`, {
      headers: { "x-scope-orgid": tenant },
    });
    return (
      (await res.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      }
    ).data.result;
  }

  it("takes OTLP/JSON and maps names, units and resource attributes as Prometheus does", async () => {
    const res = await post("/otlp/v1/metrics", JSON.stringify(exportJson(nowNs())), {
      "content-type": "application/json",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const counter = await query("otel", "http_server_duration_seconds_total");
    expect(counter.map((r) => [r.metric, r.value[1]])).toEqual([
      [
        {
          __name__: "http_server_duration_seconds_total",
          http_route: "/cart",
          instance: "pod-1",
          job: "checkout",
        },
        "12.5",
      ],
    ]);
    expect((await query("otel", "queue_depth")).map((r) => r.value[1])).toEqual(["7"]);
    const info = await query("otel", "target_info");
    expect(info[0]?.metric).toMatchObject({ job: "checkout", instance: "pod-1", k8s_namespace_name: "shop" });
  });

  it("takes gzip'd protobuf on Prometheus's path", async () => {
    const msg = PbRequest.fromObject({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "api" } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "requests",
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ asInt: 42, timeUnixNano: nowNs() }],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const body = gzipSync(PbRequest.encode(msg).finish());
    const res = await post(
      "/api/v1/otlp/v1/metrics",
      body,
      { "content-type": "application/x-protobuf", "content-encoding": "gzip" },
      "otel-pb",
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect((await query("otel-pb", "requests_total")).map((r) => [r.metric.job, r.value[1]])).toEqual([
      ["api", "42"],
    ]);
  });

  it("answers 200 with partial_success for what it cannot take, and keeps the rest", async () => {
    const req = exportJson(nowNs());
    req.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({
      name: "latency",
      sum: {
        aggregationTemporality: 1,
        isMonotonic: true,
        dataPoints: [{ asDouble: 1, timeUnixNano: nowNs(), attributes: [] }],
      },
    });
    const res = await post(
      "/otlp/v1/metrics",
      JSON.stringify(req),
      { "content-type": "application/json" },
      "otel-partial",
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(Number(body.partialSuccess.rejectedDataPoints)).toBeGreaterThan(0);
    expect(body.partialSuccess.errorMessage).toMatch(/delta|temporality/i);
    expect(await query("otel-partial", "queue_depth")).toHaveLength(1);
  });

  it.each([
    [{ "content-type": "text/plain" }, "{}", 415],
    [{ "content-type": "application/json", "content-encoding": "br" }, "{}", 415],
    [{ "content-type": "application/json" }, "{not json", 400],
    [{ "content-type": "application/x-protobuf" }, "\u00ff\u00ff\u00ff", 400],
  ])("refuses %j with %d", async (headers, body, status) => {
    expect((await post("/otlp/v1/metrics", body, headers)).status).toBe(status);
  });
});
