import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { WireError } from "../errors.js";
import { MAX_ANY_VALUE_DEPTH, nanosToMs } from "./common-proto.js";
import { decodeExportMetricsServiceRequest } from "./metrics-proto.js";
import {
  encodeKeyValue,
  encodeNumberPoint,
  encodeRequest,
  request,
  wideRequest,
} from "./otlp-metrics.testlib.js";
import { fromPbMessage, PbRequest, toPbObject } from "./otlp-pbjs.testlib.js";
import type { AnyValue, ExportMetricsServiceRequest, NumberDataPoint } from "./types.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

const gaugeRequest = (points: NumberDataPoint[]): ExportMetricsServiceRequest => ({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: "service.name", value: { kind: "string", value: "api" } }] },
      schemaUrl: "",
      scopeMetrics: [
        {
          scope: { name: "lib", version: "1.2", attributes: [] },
          schemaUrl: "",
          metrics: [
            {
              name: "temp",
              description: "Temperature",
              unit: "Cel",
              data: { type: "gauge", dataPoints: points },
            },
          ],
        },
      ],
    },
  ],
});

const point = (p: Partial<NumberDataPoint>): NumberDataPoint => ({
  attributes: [],
  startTimeMs: 0,
  timeMs: 0,
  flags: 0,
  valueType: "double",
  value: 0,
  ...p,
});

describe("OTLP ExportMetricsServiceRequest protobuf decoder", () => {
  it("decodes an empty body as an empty request", () => {
    expect(decodeExportMetricsServiceRequest(new Uint8Array(0))).toEqual({ resourceMetrics: [] });
  });

  it("decodes a hand-assembled gauge byte for byte", () => {
    // resource_metrics { scope_metrics { metrics { name: "up" gauge { data_points {
    //   time_unix_nano: 1_700_000_000_123_456_789  as_double: 1 } } } } }
    const bytes = unhex(`
      0a 1e 12 1c 12 1a
        0a 02 7570
        2a 14 0a 12
          19 15cd853dfe9c9717
          21 000000000000f03f`);
    expect(decodeExportMetricsServiceRequest(bytes)).toEqual({
      resourceMetrics: [
        {
          resource: { attributes: [] },
          schemaUrl: "",
          scopeMetrics: [
            {
              scope: { name: "", version: "", attributes: [] },
              schemaUrl: "",
              metrics: [
                {
                  name: "up",
                  description: "",
                  unit: "",
                  data: { type: "gauge", dataPoints: [point({ timeMs: 1_700_000_000_123, value: 1 })] },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it("floors nanoseconds to milliseconds exactly across the whole fixed64 range", () => {
    const cases = [
      0n,
      999_999n,
      1_000_000n,
      1_700_000_000_123_999_999n,
      2n ** 53n + 1n,
      2n ** 63n,
      2n ** 64n - 1n,
    ];
    const check = (ns: bigint): void => {
      expect(nanosToMs(Number(ns & 0xffffffffn), Number(ns >> 32n))).toBe(Number(ns / 1_000_000n));
    };
    for (const ns of cases) check(ns);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), check), { numRuns: 2000 });
  });

  it("reads as_int (sfixed64) with its sign, and int attributes exactly", () => {
    const req = gaugeRequest([
      point({
        valueType: "int",
        value: -5,
        timeMs: 1,
        attributes: [
          { key: "max", value: { kind: "int", value: 2n ** 63n - 1n } },
          { key: "min", value: { kind: "int", value: -(2n ** 63n) } },
          { key: "neg", value: { kind: "int", value: -1n } },
        ],
      }),
      point({ valueType: "int", value: -(2 ** 63), timeMs: 2 }),
    ]);
    const bytes = PbRequest.encode(PbRequest.fromObject(toPbObject(req))).finish();
    expect(decodeExportMetricsServiceRequest(bytes)).toEqual(req);
  });

  it("reads repeated scalars packed and unpacked alike", () => {
    fc.assert(
      fc.property(request, fc.boolean(), (req, packed) => {
        const a = decodeExportMetricsServiceRequest(encodeRequest(req, { subMs: 999_999, packed }));
        expect(a).toEqual(req);
      }),
      { numRuns: 200 },
    );
  });

  it("agrees with protobufjs on bytes we encode", () => {
    fc.assert(
      fc.property(request, (req) => {
        const bytes = encodeRequest(req, { subMs: 1, packed: false });
        expect(decodeExportMetricsServiceRequest(bytes)).toEqual(fromPbMessage(PbRequest.decode(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it("decodes what protobufjs encodes", () => {
    fc.assert(
      fc.property(wideRequest, (req) => {
        const msg = PbRequest.fromObject(toPbObject(req));
        const bytes = PbRequest.encode(msg).finish();
        const ours = decodeExportMetricsServiceRequest(bytes);
        expect(ours).toEqual(req);
        expect(ours).toEqual(fromPbMessage(PbRequest.decode(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it("skips unknown fields and the fields it does not decode", () => {
    const w = new ProtobufWriter();
    const rm = w.tag(1, WIRE_LEN).fork();
    const res = w.tag(1, WIRE_LEN).fork();
    w.tag(2, WIRE_VARINT).uint32(3); // dropped_attributes_count
    w.tag(99, WIRE_LEN).string("future");
    w.join(res);
    const sm = w.tag(2, WIRE_LEN).fork();
    const scope = w.tag(1, WIRE_LEN).fork();
    w.tag(1, WIRE_LEN).string("lib");
    w.tag(4, WIRE_VARINT).uint32(5); // dropped_attributes_count: the metrics' scope has no such field
    w.join(scope);
    const m = w.tag(2, WIRE_LEN).fork();
    w.tag(1, WIRE_LEN).string("x");
    const md = w.tag(12, WIRE_LEN).fork(); // Metric.metadata
    w.tag(1, WIRE_LEN).string("prometheus.type");
    w.join(md);
    const g = w.tag(5, WIRE_LEN).fork();
    const dp = w.tag(1, WIRE_LEN).fork();
    const ex = w.tag(5, WIRE_LEN).fork(); // exemplars
    w.tag(3, WIRE_FIXED64).double(7);
    w.join(ex);
    w.tag(4, WIRE_FIXED64).double(2.5);
    w.tag(15, WIRE_FIXED64).double(9); // unknown
    w.join(dp);
    w.join(g);
    w.join(m);
    w.join(sm);
    w.join(rm);
    const got = decodeExportMetricsServiceRequest(w.finish());
    const metric = got.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(metric?.data).toEqual({ type: "gauge", dataPoints: [point({ value: 2.5 })] });
    expect(got.resourceMetrics[0]?.scopeMetrics[0]?.scope).toStrictEqual({
      name: "lib",
      version: "",
      attributes: [],
    });
  });

  it("merges a repeated singular message and keeps the last oneof member", () => {
    const w = new ProtobufWriter();
    const rm = w.tag(1, WIRE_LEN).fork();
    for (const key of ["a", "b"]) {
      const res = w.tag(1, WIRE_LEN).fork();
      encodeKeyValue(w, 1, { key, value: { kind: "bool", value: true } });
      w.join(res);
    }
    const sm = w.tag(2, WIRE_LEN).fork();
    const m = w.tag(2, WIRE_LEN).fork();
    let d = w.tag(5, WIRE_LEN).fork(); // gauge, then replaced by a sum spread over two occurrences
    encodeNumberPoint(w, point({ value: 1 }), { subMs: 0, packed: true });
    w.join(d);
    d = w.tag(7, WIRE_LEN).fork();
    encodeNumberPoint(w, point({ value: 2 }), { subMs: 0, packed: true });
    w.join(d);
    d = w.tag(7, WIRE_LEN).fork();
    w.tag(2, WIRE_VARINT).uint32(2);
    encodeNumberPoint(w, point({ value: 3 }), { subMs: 0, packed: true });
    w.join(d);
    w.join(m);
    w.join(sm);
    w.join(rm);
    const got = decodeExportMetricsServiceRequest(w.finish()).resourceMetrics[0]!;
    expect(got.resource.attributes.map((kv) => kv.key)).toEqual(["a", "b"]);
    expect(got.scopeMetrics[0]?.metrics[0]?.data).toEqual({
      type: "sum",
      aggregationTemporality: 2,
      isMonotonic: false,
      dataPoints: [point({ value: 2 }), point({ value: 3 })],
    });
  });

  it.each([
    ["a truncated body", "0a05 1203"],
    ["a known field with the wrong wire type", "0d00000000"],
    ["a truncated fixed64 timestamp", "0a0c 120a 120a 2a06 0a04 1902 0000"],
  ])("refuses %s with WireError malformed", (_, body) => {
    const bytes = unhex(body);
    expect(() => decodeExportMetricsServiceRequest(bytes)).toThrow(WireError);
    try {
      decodeExportMetricsServiceRequest(bytes);
    } catch (err: unknown) {
      expect((err as WireError).code).toBe("malformed");
    }
  });

  it("refuses invalid UTF-8 in a string", () => {
    const w = new ProtobufWriter();
    const rm = w.tag(1, WIRE_LEN).fork();
    const sm = w.tag(2, WIRE_LEN).fork();
    const m = w.tag(2, WIRE_LEN).fork();
    w.tag(1, WIRE_LEN).bytes(new Uint8Array([0xff, 0xfe]));
    w.join(m);
    w.join(sm);
    w.join(rm);
    expect(() => decodeExportMetricsServiceRequest(w.finish())).toThrow(/not valid UTF-8/);
  });

  it(`refuses attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`, () => {
    const nest = (depth: number): AnyValue =>
      depth === 0 ? { kind: "bool", value: true } : { kind: "array", values: [nest(depth - 1)] };
    const req = (depth: number) =>
      gaugeRequest([point({ attributes: [{ key: "deep", value: nest(depth) }] })]);
    expect(() =>
      decodeExportMetricsServiceRequest(encodeRequest(req(MAX_ANY_VALUE_DEPTH - 1))),
    ).not.toThrow();
    expect(() => decodeExportMetricsServiceRequest(encodeRequest(req(MAX_ANY_VALUE_DEPTH + 5)))).toThrow(
      /nested deeper/,
    );
  });

  it("throws nothing but WireError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeExportMetricsServiceRequest(bytes);
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("throws nothing but WireError on damaged valid requests", () => {
    fc.assert(
      fc.property(
        request,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (req, flips, cut) => {
          const bytes = encodeRequest(req).slice();
          if (bytes.length === 0) return;
          for (const [at, v] of flips) bytes[at % bytes.length] = v;
          for (const body of [bytes, bytes.subarray(0, cut % bytes.length)]) {
            try {
              decodeExportMetricsServiceRequest(body);
            } catch (err: unknown) {
              expect(err).toBeInstanceOf(WireError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ["a Uint8Array", (b: Uint8Array) => b],
    ["a Buffer", (b: Uint8Array) => Buffer.from(b)],
  ])("hands back bytes attributes that do not share the request buffer, from %s", (_, wrap) => {
    const req = gaugeRequest([
      point({ attributes: [{ key: "b", value: { kind: "bytes", value: new Uint8Array([1, 2]) } }] }),
    ]);
    const body = wrap(encodeRequest(req));
    const got = decodeExportMetricsServiceRequest(body);
    body.fill(0);
    expect(got).toEqual(req);
    const attr = got.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.data;
    expect(attr?.type === "gauge" && attr.dataPoints[0]?.attributes[0]?.value).toEqual({
      kind: "bytes",
      value: new Uint8Array([1, 2]),
    });
    expect(hex(body)).toMatch(/^0+$/);
  });
});
