import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WireError } from "../errors.js";
import { FastDecoderV1 } from "./fast-v1.js";
import { decodeRequestV2Fast, FastDecoderV2 } from "./fast-v2.js";
import {
  bitsOf,
  comparableHistogram,
  labelSet,
  pbBytesV2,
  type RecordingOptions,
  rawRequestV2,
  recordingSink,
  requestV2,
  thrown,
} from "./remote-write.testlib.js";
import { encodeWriteRequestV1 } from "./v1.js";
import { type DecodedRequestV2, decodeRequestV2, encodeRequestV2 } from "./v2.js";
import type { WriteSink } from "./write-sink.js";

const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

function record(buf: Uint8Array, options: RecordingOptions = {}, decoder = new FastDecoderV2()) {
  const rec = recordingSink(options);
  decoder.decode(buf, rec.sink);
  return rec;
}

/**
 * What the object decoder makes of `buf`, in the recording's shape; `hasMetadata` says which series
 * carry a Metadata field (the fast decoder hands metadata over only then).
 */
function expected(req: DecodedRequestV2, hasMetadata: (i: number) => boolean) {
  return req.timeseries.map((ts, i) => ({
    labels: ts.labels,
    problem: ts.problem?.code,
    samples: ts.samples.map((s): [number, string, number] => [
      s.timestamp,
      bitsOf(s.value),
      s.startTimestamp,
    ]),
    histograms: ts.histograms.map((h) => comparableHistogram(h)),
    exemplars: ts.exemplars.map((e) => ({
      labels: e.labels,
      value: bitsOf(e.value),
      timestamp: e.timestamp,
    })),
    metadata: hasMetadata(i)
      ? [{ type: ts.metadata.type, familyName: "", help: ts.metadata.help, unit: ts.metadata.unit }]
      : [],
  }));
}

function recorded(rec: ReturnType<typeof recordingSink>) {
  return rec.series.map((s) => ({
    labels: s.labels,
    problem: s.problem,
    samples: s.samples,
    histograms: s.histograms.map((h) => comparableHistogram(h)),
    exemplars: s.exemplars,
    metadata: s.metadata,
  }));
}

describe("FastDecoderV2", () => {
  it("hands the sink what decodeRequestV2 returns, on arbitrary requests", () => {
    const decoder = new FastDecoderV2();
    fc.assert(
      fc.property(requestV2, fc.boolean(), (req, batch) => {
        const buf = encodeRequestV2(req);
        const rec = record(buf, { batch }, decoder);
        const hasMetadata = (i: number) => {
          const md = req.timeseries[i]!.metadata;
          return md.type !== 0 || md.help !== "" || md.unit !== "";
        };
        expect(recorded(rec)).toEqual(expected(decodeRequestV2(buf), hasMetadata));
      }),
      { numRuns: 400 },
    );
  });

  it("reports the same problems as decodeRequestV2 on arbitrary references", () => {
    fc.assert(
      fc.property(rawRequestV2, (req) => {
        const buf = pbBytesV2(req);
        const objErr = thrown(() => decodeRequestV2(buf));
        const rec = recordingSink();
        const fastErr = thrown(() => new FastDecoderV2().decode(buf, rec.sink));
        if (objErr !== undefined) {
          expect(fastErr).toBeInstanceOf(WireError);
          expect((fastErr as WireError).message).toBe((objErr as WireError).message);
          return;
        }
        expect(fastErr).toBeUndefined();
        const want = expected(decodeRequestV2(buf), (i) => req.timeseries[i]!.metadata !== undefined);
        // Histogram contents are compared elsewhere; here their number.
        const counted = (xs: ReturnType<typeof recorded>) =>
          xs.map((s) => ({ ...s, histograms: s.histograms.length }));
        expect(counted(recorded(rec))).toEqual(counted(want));
      }),
      { numRuns: 500 },
    );
  });

  it("gives a series the same hash as the 1.0 decoder does", () => {
    fc.assert(
      fc.property(fc.array(labelSet, { maxLength: 4 }), (sets) => {
        const v1 = recordingSink();
        new FastDecoderV1().decode(
          encodeWriteRequestV1({
            timeseries: sets.map((labels) => ({ labels, samples: [], exemplars: [], histogramCount: 0 })),
            metadata: [],
          }),
          v1.sink,
        );
        const v2 = record(
          encodeRequestV2({
            timeseries: sets.map((labels) => ({
              labels,
              samples: [],
              histograms: [],
              exemplars: [],
              metadata: { type: 0, help: "", unit: "" },
            })),
          }),
        );
        expect(v2.series.map((s) => s.hash)).toEqual(v1.series.map((s) => s.hash));
      }),
      { numRuns: 300 },
    );
  });

  it("skips the data of series the sink declines", () => {
    const buf = encodeRequestV2({
      timeseries: [0, 1, 2].map((i) => ({
        labels: [{ name: "__name__", value: `m${i}` }],
        samples: [{ value: i, timestamp: i + 1, startTimestamp: 0 }],
        histograms: [],
        exemplars: [{ labels: [{ name: "trace_id", value: "t" }], value: i, timestamp: 5 }],
        metadata: { type: 1, help: "h", unit: "" },
      })),
    });
    const rec = record(buf, { skip: (i) => i === 1 });
    expect(rec.series.map((s) => [s.samples.length, s.exemplars.length, s.metadata.length])).toEqual([
      [1, 1, 1],
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(rec.series[0]!.metadata).toEqual([{ type: 1, familyName: "", help: "h", unit: "" }]);
  });

  it("lets the sink's errors through unchanged", () => {
    const boom = new Error("boom");
    const sink: WriteSink = {
      series: () => {
        throw boom;
      },
      sample: () => {},
    };
    const buf = encodeRequestV2({
      timeseries: [
        { labels: [], samples: [], histograms: [], exemplars: [], metadata: { type: 0, help: "", unit: "" } },
      ],
    });
    expect(thrown(() => decodeRequestV2Fast(buf, sink))).toBe(boom);
  });

  const malformed: [string, string, RegExp][] = [
    ["truncated series", "2a05 0a03", /truncated/],
    ["symbols[0] not empty", "2201 61", /symbols\[0\] must be the empty string, not "a"/],
    ["invalid UTF-8 in a symbol", "2200 2202 c328", /not valid UTF-8/],
    ["timeseries as varint", "2801", /Request field 5 has wrong wire type 0/],
    ["labels_refs as fixed64", "2a09 090000000000000000", /TimeSeries field 1 has wrong wire type 1/],
    ["sample value as varint", "2a04 1202 0801", /Sample field 1 has wrong wire type 0/],
    ["metadata help_ref as LEN", "2a04 2a02 1a00", /Metadata field 3 has wrong wire type 2/],
    ["exemplar value as varint", "2a04 2202 1001", /Exemplar field 2 has wrong wire type 0/],
    ["histogram count as LEN", "2a04 1a02 0a00", /Histogram field 1 has wrong wire type 2/],
  ];
  it.each(malformed)("rejects %s with WireError malformed", (_name, input, message) => {
    const err = thrown(() => record(unhex(input)));
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("malformed");
    expect((err as WireError).message).toMatch(message);
    expect((err as WireError).message).toMatch(/^remote-write 2\.0: invalid Request: /);
  });

  /** With every optional method, the fast decoder refuses exactly what decodeRequestV2 refuses. */
  function agrees(buf: Uint8Array): void {
    const objErr = thrown(() => decodeRequestV2(buf));
    const fastErr = thrown(() => record(buf));
    if (fastErr !== undefined) expect(fastErr).toBeInstanceOf(WireError);
    expect(fastErr === undefined).toBe(objErr === undefined);
  }

  it("agrees with decodeRequestV2 on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), agrees), { numRuns: 3000 });
  });

  it("agrees with decodeRequestV2 on damaged valid requests", () => {
    fc.assert(
      fc.property(
        requestV2,
        fc.nat(),
        fc.nat(255),
        fc.constantFrom("truncate", "flip", "insert"),
        (req, where, byte, how) => {
          const good = encodeRequestV2(req);
          const at = good.length === 0 ? 0 : where % good.length;
          let bad: Uint8Array;
          if (how === "truncate") bad = good.subarray(0, at);
          else if (how === "flip") {
            bad = good.slice();
            if (bad.length > 0) bad[at] = byte;
          } else bad = new Uint8Array([...good.subarray(0, at), byte, ...good.subarray(at)]);
          agrees(bad);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
