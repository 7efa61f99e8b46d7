import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WireError } from "../errors.js";
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import { decodeExportMetricsServiceRequestJson } from "./metrics-json.js";
import { decodeExportMetricsServiceRequest } from "./metrics-proto.js";
import { wideRequest } from "./otlp-metrics.testlib.js";
import { PbRequest, toPbObject } from "./otlp-pbjs.testlib.js";
import type { ExportMetricsServiceRequest, MetricData } from "./types.js";

/** The metrics of the only scope of the only resource. */
const metricsOf = (req: ExportMetricsServiceRequest) =>
  req.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];

/** Every -0 made 0 and typed arrays made plain, for comparisons across JSON (which has no -0). */
function canon(v: unknown): unknown {
  if (typeof v === "number") return Object.is(v, -0) ? 0 : v;
  if (v instanceof Float64Array) return Array.from(v, (x) => canon(x));
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canon(x)]));
  }
  return v;
}

/** Shaped like opentelemetry-proto's examples/metrics.json: timestamps as JSON numbers, a delta counter. */
const SPEC_LIKE = `{
  "resourceMetrics": [{
    "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "checkout" } }] },
    "scopeMetrics": [{
      "scope": {
        "name": "shop.lib", "version": "2.1.0",
        "attributes": [{ "key": "shop.scope", "value": { "stringValue": "primary" } }]
      },
      "metrics": [
        {
          "name": "orders.placed", "unit": "{order}", "description": "Orders placed",
          "sum": {
            "aggregationTemporality": 1, "isMonotonic": true,
            "dataPoints": [{
              "asDouble": 7,
              "startTimeUnixNano": 1544712660300000000,
              "timeUnixNano": 1544712660300000000,
              "attributes": [{ "key": "shop.region", "value": { "stringValue": "eu" } }]
            }]
          }
        },
        {
          "name": "queue.depth", "unit": "1", "description": "Queue depth",
          "gauge": { "dataPoints": [{ "asDouble": 12, "timeUnixNano": 1544712660300000000 }] }
        },
        {
          "name": "checkout.latency", "unit": "ms", "description": "Checkout latency",
          "histogram": {
            "aggregationTemporality": 2,
            "dataPoints": [{
              "startTimeUnixNano": 1544712660300000000,
              "timeUnixNano": 1544712660300000000,
              "count": 4, "sum": 9, "bucketCounts": [1, 2, 1], "explicitBounds": [1, 5],
              "min": 0.5, "max": 6
            }]
          }
        }
      ]
    }]
  }]
}`;

describe("OTLP/JSON ExportMetricsServiceRequest decoder", () => {
  it("decodes a request shaped like the specification's example", () => {
    const req = decodeExportMetricsServiceRequestJson(SPEC_LIKE);
    const rm = req.resourceMetrics[0]!;
    expect(rm.resource.attributes).toEqual([
      { key: "service.name", value: { kind: "string", value: "checkout" } },
    ]);
    expect(rm.scopeMetrics[0]?.scope).toEqual({
      name: "shop.lib",
      version: "2.1.0",
      attributes: [{ key: "shop.scope", value: { kind: "string", value: "primary" } }],
    });
    const t = 1_544_712_660_300;
    expect(metricsOf(req)).toEqual([
      {
        name: "orders.placed",
        unit: "{order}",
        description: "Orders placed",
        data: {
          type: "sum",
          aggregationTemporality: 1,
          isMonotonic: true,
          dataPoints: [
            {
              attributes: [{ key: "shop.region", value: { kind: "string", value: "eu" } }],
              startTimeMs: t,
              timeMs: t,
              flags: 0,
              valueType: "double",
              value: 7,
            },
          ],
        },
      },
      {
        name: "queue.depth",
        unit: "1",
        description: "Queue depth",
        data: {
          type: "gauge",
          dataPoints: [
            { attributes: [], startTimeMs: 0, timeMs: t, flags: 0, valueType: "double", value: 12 },
          ],
        },
      },
      {
        name: "checkout.latency",
        unit: "ms",
        description: "Checkout latency",
        data: {
          type: "histogram",
          aggregationTemporality: 2,
          dataPoints: [
            {
              attributes: [],
              startTimeMs: t,
              timeMs: t,
              flags: 0,
              count: 4,
              hasSum: true,
              sum: 9,
              bucketCounts: new Float64Array([1, 2, 1]),
              explicitBounds: new Float64Array([1, 5]),
              hasMin: true,
              min: 0.5,
              hasMax: true,
              max: 6,
            },
          ],
        },
      },
    ]);
  });

  it("reads bytes as well as a string", () => {
    const a = decodeExportMetricsServiceRequestJson(SPEC_LIKE);
    expect(decodeExportMetricsServiceRequestJson(new TextEncoder().encode(SPEC_LIKE))).toEqual(a);
  });

  it("reads 64-bit integers from decimal strings exactly, and enum names", () => {
    const body = JSON.stringify({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "n",
                  sum: {
                    aggregationTemporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
                    dataPoints: [
                      {
                        asInt: "-9007199254740993",
                        timeUnixNano: "18446744073709551615",
                        startTimeUnixNano: "1700000000123999999",
                        flags: 1,
                        attributes: [
                          { key: "big", value: { intValue: "9223372036854775807" } },
                          { key: "small", value: { intValue: -3 } },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const d = metricsOf(decodeExportMetricsServiceRequestJson(body))[0]?.data;
    expect(d).toEqual({
      type: "sum",
      aggregationTemporality: 2,
      isMonotonic: false,
      dataPoints: [
        {
          attributes: [
            { key: "big", value: { kind: "int", value: 9223372036854775807n } },
            { key: "small", value: { kind: "int", value: -3n } },
          ],
          startTimeMs: 1_700_000_000_123,
          timeMs: 18_446_744_073_709,
          flags: 1,
          valueType: "int",
          value: -9007199254740992, // rounded to the nearest double, as Go's float64(int64)
        },
      ],
    });
  });

  it("reads the special doubles, base64 bytes in all spellings, and null as unset", () => {
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: null,
          scopeMetrics: [
            {
              scope: { name: null },
              metrics: [
                {
                  name: "s",
                  summary: {
                    dataPoints: [
                      {
                        sum: "NaN",
                        count: "3",
                        quantileValues: [
                          { quantile: 0.5, value: "Infinity" },
                          { quantile: "0.99", value: "-Infinity" },
                        ],
                        attributes: [
                          { key: "std", value: { bytesValue: "+/8=" } },
                          { key: "url", value: { bytesValue: "-_8" } },
                          { key: "nul", value: null },
                          { key: "emp", value: {} },
                        ],
                      },
                    ],
                  },
                  unknownField: { ignored: true },
                },
              ],
            },
          ],
        },
      ],
    });
    const req = decodeExportMetricsServiceRequestJson(body);
    expect(req.resourceMetrics[0]?.resource).toEqual({ attributes: [] });
    const d = metricsOf(req)[0]?.data as Extract<MetricData, { type: "summary" }>;
    const p = d.dataPoints[0]!;
    expect(p.sum).toBeNaN();
    expect(p.count).toBe(3);
    expect([...p.quantiles]).toEqual([0.5, 0.99]);
    expect([...p.values]).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(p.attributes).toEqual([
      { key: "std", value: { kind: "bytes", value: new Uint8Array([0xfb, 0xff]) } },
      { key: "url", value: { kind: "bytes", value: new Uint8Array([0xfb, 0xff]) } },
      { key: "nul", value: { kind: "empty" } },
      { key: "emp", value: { kind: "empty" } },
    ]);
  });

  it("agrees with the protobuf decoder on protobufjs's JSON of the same message", () => {
    fc.assert(
      fc.property(wideRequest, (req) => {
        const msg = PbRequest.fromObject(toPbObject(req));
        const json = JSON.stringify(
          PbRequest.toObject(msg, { longs: String, enums: Number, bytes: String, json: true, arrays: true }),
        );
        const fromJson = decodeExportMetricsServiceRequestJson(json);
        const fromProto = decodeExportMetricsServiceRequest(PbRequest.encode(msg).finish());
        expect(canon(fromJson)).toEqual(canon(fromProto));
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ["not JSON", "{", /not valid JSON/],
    ["a root that is not an object", "[]", /\$: expected an object/],
    ["a string where an array belongs", '{"resourceMetrics":"x"}', /resourceMetrics: expected an array/],
    [
      "two members of the data oneof",
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{},"sum":{}}]}]}]}',
      /metrics\[0\]: both gauge and sum are set/,
    ],
    [
      "an integer out of range",
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"flags":4294967296}]}}]}]}]}',
      /dataPoints\[0\]\.flags: 4294967296 is out of range/,
    ],
    [
      "a fraction where an integer belongs",
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"count":1.5}]}}]}]}]}',
      /count: expected an integer/,
    ],
    [
      "a negative timestamp",
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"timeUnixNano":"-1"}]}}]}]}]}',
      /timeUnixNano: -1 is out of range/,
    ],
    [
      "text that is not base64",
      '{"resourceMetrics":[{"resource":{"attributes":[{"key":"b","value":{"bytesValue":"a$b"}}]}}]}',
      /bytesValue: expected base64/,
    ],
    [
      "a number that is not one",
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asDouble":"0x10"}]}}]}]}]}',
      /asDouble: expected a number/,
    ],
  ])("refuses %s with WireError malformed naming the field", (_, body, message) => {
    let caught: unknown;
    try {
      decodeExportMetricsServiceRequestJson(body);
    } catch (err: unknown) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WireError);
    expect((caught as WireError).code).toBe("malformed");
    expect((caught as WireError).message).toMatch(message);
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(() => decodeExportMetricsServiceRequestJson(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(
      /not valid UTF-8/,
    );
  });

  it(`refuses attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`, () => {
    const nest = (depth: number): unknown =>
      depth === 0 ? { boolValue: true } : { arrayValue: { values: [nest(depth - 1)] } };
    const body = (depth: number) =>
      JSON.stringify({ resourceMetrics: [{ resource: { attributes: [{ key: "k", value: nest(depth) }] } }] });
    expect(() => decodeExportMetricsServiceRequestJson(body(MAX_ANY_VALUE_DEPTH - 1))).not.toThrow();
    expect(() => decodeExportMetricsServiceRequestJson(body(MAX_ANY_VALUE_DEPTH + 5))).toThrow(
      /nested deeper/,
    );
  });

  it("throws nothing but WireError on arbitrary JSON", () => {
    // Arbitrary JSON, and arbitrary JSON planted where the decoder looks deepest.
    const sites: ((v: unknown) => unknown)[] = [
      (v) => ({
        resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "x", histogram: { dataPoints: [v] } }] }] }],
      }),
      (v) => ({
        resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "x", exponentialHistogram: v }] }] }],
      }),
      (v) => ({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ summary: { dataPoints: [v] } }] }] }] }),
      (v) => ({ resourceMetrics: [{ resource: { attributes: [{ key: "k", value: v }] } }] }),
      (v) => ({ resourceMetrics: [{ scopeMetrics: [v] }] }),
    ];
    const planted = fc
      .tuple(fc.jsonValue(), fc.nat(sites.length - 1))
      .map(([v, i]) => JSON.stringify(sites[i]!(v)));
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string(), planted), (body) => {
        try {
          decodeExportMetricsServiceRequestJson(body);
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
