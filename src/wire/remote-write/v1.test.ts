import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { isStaleNaN, STALE_NAN } from "../../model/stale.js";
import { WireError } from "../errors.js";
import type { ExemplarV1, LabelV1, MetricMetadataV1, TimeSeriesV1, WriteRequestV1 } from "./v1.js";
import { decodeWriteRequestV1, encodeWriteRequestV1, MetricTypeV1 } from "./v1.js";

// An independent codec: protobufjs reading a schema written for this test from the field table of
// the remote-write 1.0 spec (Histogram is cut down to a few fields, enough to exercise skipping).
const root = protobuf.parse(`
  syntax = "proto3";
  package prometheus;
  message WriteRequest {
    repeated TimeSeries timeseries = 1;
    reserved 2;
    repeated MetricMetadata metadata = 3;
  }
  message MetricMetadata {
    enum MetricType {
      UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3;
      GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7;
    }
    MetricType type = 1;
    string metric_family_name = 2;
    string help = 4;
    string unit = 5;
  }
  message Sample { double value = 1; int64 timestamp = 2; }
  message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
  message Histogram {
    uint64 count_int = 1;
    double sum = 3;
    sint32 schema = 4;
    repeated sint64 positive_deltas = 10;
    int64 timestamp = 15;
  }
  message TimeSeries {
    repeated Label labels = 1;
    repeated Sample samples = 2;
    repeated Exemplar exemplars = 3;
    repeated Histogram histograms = 4;
  }
  message Label { string name = 1; string value = 2; }
`).root;
const PbWriteRequest = root.lookupType("prometheus.WriteRequest");

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const bitsOf = (v: number): string => {
  f64[0] = v;
  return u64[0]!.toString(16);
};
const fromBits = (b: bigint): number => {
  u64[0] = b;
  return f64[0]!;
};

/** The request with every double replaced by its bit pattern, so that NaN payloads and -0 compare exactly. */
function comparable(req: WriteRequestV1, withHistogramCount = true) {
  return {
    timeseries: req.timeseries.map((ts) => ({
      labels: ts.labels,
      samples: ts.samples.map((s) => ({ value: bitsOf(s.value), timestamp: s.timestamp })),
      exemplars: ts.exemplars.map((e) => ({
        labels: e.labels,
        value: bitsOf(e.value),
        timestamp: e.timestamp,
      })),
      ...(withHistogramCount ? { histogramCount: ts.histogramCount } : {}),
    })),
    metadata: req.metadata,
  };
}

// Arbitraries. Strings are any Unicode text (no lone surrogates, which UTF-8 cannot carry).
const text = fc.string({ unit: "binary", maxLength: 20 });
const anyDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(STALE_NAN, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(fromBits),
);
const timestamp = fc.oneof(
  fc.maxSafeInteger(),
  fc.integer({ min: -1, max: 1 }),
  fc.constant(1_700_000_000_000),
);
const label: fc.Arbitrary<LabelV1> = fc.record({ name: text, value: text });
const exemplar: fc.Arbitrary<ExemplarV1> = fc.record({
  labels: fc.array(label, { maxLength: 3 }),
  value: anyDouble,
  timestamp,
});
const series: fc.Arbitrary<TimeSeriesV1> = fc.record({
  labels: fc.array(label, { maxLength: 6 }),
  samples: fc.array(fc.record({ value: anyDouble, timestamp }), { maxLength: 8 }),
  exemplars: fc.array(exemplar, { maxLength: 2 }),
  histogramCount: fc.constant(0),
});
const metadataOf = (type: fc.Arbitrary<number>): fc.Arbitrary<MetricMetadataV1> =>
  fc.record({ type, metricFamilyName: text, help: text, unit: text });
const requestOf = (type: fc.Arbitrary<number>): fc.Arbitrary<WriteRequestV1> =>
  fc.record({
    timeseries: fc.array(series, { maxLength: 5 }),
    metadata: fc.array(metadataOf(type), { maxLength: 3 }),
  });
const request = requestOf(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const specRequest = requestOf(fc.integer({ min: 0, max: 7 }));

/** Our request as the plain object protobufjs's `fromObject` takes, plus `histograms` per series. */
function toPbObject(req: WriteRequestV1, histograms: number[] = []) {
  return {
    timeseries: req.timeseries.map((ts, i) => ({
      labels: ts.labels,
      samples: ts.samples,
      exemplars: ts.exemplars,
      histograms: Array.from({ length: histograms[i] ?? 0 }, (_, k) => ({
        countInt: k + 1,
        sum: 1.5 * k,
        schema: -k,
        positiveDeltas: [k, -k, 300],
        timestamp: -1000 * k,
      })),
    })),
    metadata: req.metadata,
  };
}

/** A protobufjs-decoded message back into our shape. */
function fromPbMessage(msg: protobuf.Message): WriteRequestV1 {
  const o = PbWriteRequest.toObject(msg, { longs: Number, enums: Number, defaults: true, arrays: true });
  type PbLabel = { name: string; value: string };
  type PbSample = { value: number; timestamp: number };
  type PbSeries = {
    labels: PbLabel[];
    samples: PbSample[];
    exemplars: { labels: PbLabel[]; value: number; timestamp: number }[];
    histograms: unknown[];
  };
  const timeseries = o.timeseries as PbSeries[];
  return {
    timeseries: timeseries.map((ts) => ({
      labels: ts.labels.map((l) => ({ name: l.name, value: l.value })),
      samples: ts.samples.map((s) => ({ value: s.value, timestamp: s.timestamp })),
      exemplars: ts.exemplars.map((e) => ({
        labels: e.labels.map((l) => ({ name: l.name, value: l.value })),
        value: e.value,
        timestamp: e.timestamp,
      })),
      histogramCount: ts.histograms.length,
    })),
    metadata: (o.metadata as MetricMetadataV1[]).map((m) => ({
      type: m.type,
      metricFamilyName: m.metricFamilyName,
      help: m.help,
      unit: m.unit,
    })),
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("remote-write 1.0 WriteRequest", () => {
  it("encodes a minimal request byte for byte", () => {
    const req: WriteRequestV1 = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "up" }],
          samples: [{ value: 1, timestamp: 1000 }],
          exemplars: [],
          histogramCount: 0,
        },
      ],
      metadata: [],
    };
    const want = "0a1e 0a0e 0a085f5f6e616d655f5f 12027570 120c 09000000000000f03f 10e807";
    expect(hex(encodeWriteRequestV1(req))).toBe(want.replace(/ /g, ""));
    expect(decodeWriteRequestV1(unhex(want))).toEqual(req);
  });

  it("decodes an empty body as an empty request", () => {
    expect(decodeWriteRequestV1(new Uint8Array(0))).toEqual({ timeseries: [], metadata: [] });
  });

  it("round-trips arbitrary requests", () => {
    fc.assert(
      fc.property(request, (req) => {
        const back = decodeWriteRequestV1(encodeWriteRequestV1(req));
        expect(comparable(back)).toEqual(comparable(req));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips the stale marker bit for bit", () => {
    const req: WriteRequestV1 = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "x" }],
          samples: [
            { value: STALE_NAN, timestamp: 1 },
            { value: Number.NaN, timestamp: 2 },
          ],
          exemplars: [],
          histogramCount: 0,
        },
      ],
      metadata: [],
    };
    const samples = decodeWriteRequestV1(encodeWriteRequestV1(req)).timeseries[0]!.samples;
    expect(isStaleNaN(samples[0]!.value)).toBe(true);
    expect(Number.isNaN(samples[1]!.value)).toBe(true);
    expect(isStaleNaN(samples[1]!.value)).toBe(false);
  });

  it("writes bytes that protobufjs reads back the same", () => {
    fc.assert(
      fc.property(specRequest, (req) => {
        const msg = PbWriteRequest.decode(encodeWriteRequestV1(req));
        expect(comparable(fromPbMessage(msg))).toEqual(comparable(req));
      }),
      { numRuns: 200 },
    );
  });

  it("reads the bytes protobufjs writes, counting and skipping histograms", () => {
    fc.assert(
      fc.property(specRequest, fc.array(fc.nat(3), { maxLength: 5 }), (req, histograms) => {
        const bytes = PbWriteRequest.encode(PbWriteRequest.fromObject(toPbObject(req, histograms))).finish();
        const got = decodeWriteRequestV1(bytes);
        expect(comparable(got, false)).toEqual(comparable(req, false));
        expect(got.timeseries.map((ts) => ts.histogramCount)).toEqual(
          req.timeseries.map((_, i) => histograms[i] ?? 0),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("keeps stale markers and negative timestamps in protobufjs's bytes", () => {
    const obj = {
      timeseries: [
        { labels: [{ name: "a", value: "b" }], samples: [{ value: STALE_NAN, timestamp: -1234567890123 }] },
      ],
    };
    const got = decodeWriteRequestV1(PbWriteRequest.encode(PbWriteRequest.fromObject(obj)).finish());
    const s = got.timeseries[0]!.samples[0]!;
    expect(isStaleNaN(s.value)).toBe(true);
    expect(s.timestamp).toBe(-1234567890123);
  });

  it("maps metric types as in the spec's enum", () => {
    const names = [
      "UNKNOWN",
      "COUNTER",
      "GAUGE",
      "HISTOGRAM",
      "GAUGEHISTOGRAM",
      "SUMMARY",
      "INFO",
      "STATESET",
    ];
    const pbEnum = root.lookupEnum("prometheus.MetricMetadata.MetricType");
    for (const name of names) {
      expect(MetricTypeV1[name as keyof typeof MetricTypeV1]).toBe(pbEnum.values[name]);
    }
  });

  it("skips unknown fields and the reserved field 2", () => {
    const w = new ProtobufWriter();
    w.tag(2, 2).string("reserved");
    w.tag(99, 0).int64(-7);
    const ts = w.tag(1, 2).fork();
    w.tag(5, 1).double(3);
    const lbl = w.tag(1, 2).fork();
    w.tag(1, 2).string("job").tag(3, 5).fixed32(1).tag(2, 2).string("api");
    w.join(lbl);
    w.join(ts);
    const md = w.tag(3, 2).fork();
    w.tag(3, 2).string("field 3 is not declared").tag(1, 0).int64(2);
    w.join(md);
    expect(decodeWriteRequestV1(w.finish())).toEqual({
      timeseries: [
        { labels: [{ name: "job", value: "api" }], samples: [], exemplars: [], histogramCount: 0 },
      ],
      metadata: [{ type: MetricTypeV1.GAUGE, metricFamilyName: "", help: "", unit: "" }],
    });
  });

  const malformed: [string, string, RegExp][] = [
    ["truncated series", "0a05 0a03", /truncated/],
    ["series length past the end", "0a7f", /truncated/],
    ["sample value as varint", "0a04 1202 0801", /Sample field 1 has wrong wire type 0/],
    ["timeseries as varint", "0801", /WriteRequest field 1 has wrong wire type 0/],
    ["label name as fixed32", "0a07 0a05 0d01020304", /Label field 1 has wrong wire type 5/],
    ["invalid UTF-8 in a label", "0a06 0a04 0a02c328", /not valid UTF-8/],
    ["group (field 5)", "2b", /groups/],
    ["wire type 7 (field 5)", "2f", /invalid wire type 7/],
    ["field number 0", "0200", /field number 0/],
    ["ten-byte varint overflow (field 5)", "28 ffffffffffffffffff7f", /longer than 64 bits/],
  ];
  it.each(malformed)("rejects %s with WireError malformed", (_name, input, message) => {
    let err: unknown;
    try {
      decodeWriteRequestV1(unhex(input));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("malformed");
    expect((err as WireError).message).toMatch(message);
    expect((err as WireError).message).toMatch(/^remote-write 1\.0: invalid WriteRequest: .* at byte \d+$/);
  });

  it("decodes arbitrary bytes or throws WireError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
        try {
          decodeWriteRequestV1(buf);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes damaged valid requests or throws WireError, never anything else", () => {
    fc.assert(
      fc.property(
        specRequest,
        fc.nat(),
        fc.nat(255),
        fc.constantFrom("truncate", "flip", "insert"),
        (req, where, byte, how) => {
          const good = encodeWriteRequestV1(req);
          const at = good.length === 0 ? 0 : where % good.length;
          let bad: Uint8Array;
          if (how === "truncate") bad = good.subarray(0, at);
          else if (how === "flip") {
            bad = good.slice();
            if (bad.length > 0) bad[at] = byte;
          } else bad = new Uint8Array([...good.subarray(0, at), byte, ...good.subarray(at)]);
          try {
            decodeWriteRequestV1(bad);
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("rejects a non-integer timestamp when encoding", () => {
    const req: WriteRequestV1 = {
      timeseries: [{ labels: [], samples: [{ value: 1, timestamp: 1.5 }], exemplars: [], histogramCount: 0 }],
      metadata: [],
    };
    expect(() => encodeWriteRequestV1(req)).toThrow(RangeError);
  });
});
