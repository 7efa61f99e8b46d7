import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtobufReader } from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { type Histogram, ResetHint, readHistogram, writeHistogram } from "./histogram.js";
import {
  comparableHistogram,
  histogram,
  histogramFromPb,
  histogramToPb,
  PB_OBJECT,
  PbRequestV2,
  PbWriteRequest,
} from "./remote-write.testlib.js";
import { SeriesProblem } from "./series-problem.js";

const PbHistogramV1 = PbWriteRequest.root.lookupType("prometheus.Histogram");
const PbHistogramV2 = PbRequestV2.root.lookupType("io.prometheus.write.v2.Histogram");

/** Our encoding of `h` as a bare Histogram message (the body of field `field`, without its tag). */
function encode(h: Histogram, v2: boolean): Uint8Array {
  const w = new ProtobufWriter();
  writeHistogram(w, 1, h, v2);
  const framed = w.finish();
  const r = new ProtobufReader(framed);
  r.tag();
  r.pushLimit();
  return framed.subarray(r.pos, r.end);
}

function decode(bytes: Uint8Array, v2: boolean): Histogram | SeriesProblem {
  return readHistogram(new ProtobufReader(bytes), v2);
}

const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("native histogram message", () => {
  for (const v2 of [false, true]) {
    const Pb = v2 ? PbHistogramV2 : PbHistogramV1;
    describe(v2 ? "2.0" : "1.0", () => {
      it("round-trips arbitrary histograms", () => {
        fc.assert(
          fc.property(histogram(v2), (h) => {
            const back = decode(encode(h, v2), v2);
            expect(back).not.toBeInstanceOf(SeriesProblem);
            expect(comparableHistogram(back as Histogram)).toEqual(comparableHistogram(h));
          }),
          { numRuns: 300 },
        );
      });

      it("writes bytes that protobufjs reads back the same", () => {
        fc.assert(
          fc.property(histogram(v2), (h) => {
            const o = Pb.toObject(Pb.decode(encode(h, v2)), PB_OBJECT);
            expect(comparableHistogram(histogramFromPb(o), true)).toEqual(comparableHistogram(h, true));
          }),
          { numRuns: 300 },
        );
      });

      it("reads the bytes protobufjs writes", () => {
        fc.assert(
          fc.property(histogram(v2), (h) => {
            const bytes = Pb.encode(Pb.fromObject(histogramToPb(h, v2))).finish();
            const back = decode(bytes, v2);
            expect(back).not.toBeInstanceOf(SeriesProblem);
            expect(comparableHistogram(back as Histogram, true)).toEqual(comparableHistogram(h, true));
          }),
          { numRuns: 300 },
        );
      });
    });
  }

  it("keeps a float histogram whose counts are all 0 a float histogram", () => {
    const h: Histogram = {
      kind: "float",
      count: 0,
      zeroCount: 0,
      negativeCounts: new Float64Array(0),
      positiveCounts: new Float64Array(0),
      sum: 0,
      schema: 0,
      zeroThreshold: 0,
      negativeSpans: [],
      positiveSpans: [],
      resetHint: ResetHint.GAUGE,
      timestamp: 0,
      customValues: new Float64Array(0),
      startTimestamp: 0,
    };
    expect(decode(encode(h, true), true)).toEqual(h);
  });

  it("ignores field 17 in 1.0 and reads it as start_timestamp in 2.0", () => {
    const bytes = unhex("0805 8801 e807"); // count_int 5, field 17 = 1000
    expect((decode(bytes, false) as Histogram).startTimestamp).toBe(0);
    expect((decode(bytes, true) as Histogram).startTimestamp).toBe(1000);
  });

  const cases: [string, string, Partial<Histogram> | "mixed"][] = [
    ["no count: integer", "", { kind: "int", count: 0 }],
    ["unpacked deltas", "0803 6002 6003", { kind: "int", count: 3, positiveDeltas: [1, -2] }],
    ["packed and unpacked deltas accumulate", "6202 0204 6003", { kind: "int", positiveDeltas: [1, 2, -2] }],
    ["unpacked counts", "69000000000000f03f", { kind: "float", positiveCounts: Float64Array.of(1) }],
    ["zero_count_float alone makes it float", "39000000000000c03f", { kind: "float", zeroCount: 0.125 }],
    ["the last oneof member wins", "0807 11000000000000f03f 0809", { kind: "int", count: 9 }],
    ["a span", "5a04 0803 1002", { positiveSpans: [{ offset: -2, length: 2 }] }],
    ["integer count with float buckets", "0801 69000000000000f03f", "mixed"],
    ["float count with integer zero count", "11000000000000f03f 3001", "mixed"],
    ["float count with deltas", "11000000000000f03f 6002", "mixed"],
    ["no count, deltas and counts", "6002 69000000000000f03f", "mixed"],
  ];
  it.each(cases)("decodes %s", (_name, bytes, want) => {
    const got = decode(unhex(bytes), true);
    if (want === "mixed") {
      expect(got).toBeInstanceOf(SeriesProblem);
      expect((got as SeriesProblem).code).toBe("histogram_mixed_kinds");
    } else {
      expect(got).toMatchObject(want);
    }
  });

  it("refuses a known field with the wrong wire type", () => {
    expect(() => decode(unhex("0a00"), true)).toThrow(/Histogram field 1 has wrong wire type 2/);
    expect(() => decode(unhex("5a02 0d00"), true)).toThrow(/BucketSpan field 1 has wrong wire type 5/);
    expect(() => decode(unhex("6a03 0000 00"), true)).toThrow(/truncated/);
  });
});
