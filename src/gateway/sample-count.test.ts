import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WireError } from "../wire/errors.js";
import { FastDecoderV1 } from "../wire/remote-write/fast-v1.js";
import { FastDecoderV2 } from "../wire/remote-write/fast-v2.js";
import {
  histogram,
  histogramToPb,
  labelSet,
  PbWriteRequest,
  requestV2,
  thrown,
  timestamp,
} from "../wire/remote-write/remote-write.testlib.js";
import { encodeWriteRequestV1 } from "../wire/remote-write/v1.js";
import { encodeRequestV2 } from "../wire/remote-write/v2.js";
import type { WriteSink } from "../wire/remote-write/write-sink.js";
import { countRemoteWriteSamples, remoteWriteVersion } from "./sample-count.js";

/** A 1.0 request with samples and native histograms, as protobufjs encodes it. */
const requestV1 = fc.array(
  fc.record({
    labels: labelSet,
    samples: fc.array(fc.record({ value: fc.double(), timestamp }), { maxLength: 5 }),
    histograms: fc.array(histogram(false), { maxLength: 2 }),
  }),
  { maxLength: 5 },
);

type RequestV1Value = typeof requestV1 extends fc.Arbitrary<infer T> ? T : never;

function encodeV1(series: RequestV1Value): Uint8Array {
  const obj = {
    timeseries: series.map((ts) => ({
      ...ts,
      histograms: ts.histograms.map((h) => histogramToPb(h, false)),
    })),
  };
  return PbWriteRequest.encode(PbWriteRequest.fromObject(obj)).finish();
}

/** What a full decoder hands its sink: samples plus histograms, or the error it threw. */
function decoded(buf: Uint8Array, version: 1 | 2): number | "refused" {
  let n = 0;
  const sink: WriteSink = {
    series: () => 0,
    sample: () => {
      n++;
    },
    histogram: () => {
      n++;
    },
    exemplar: () => {},
    metadata: () => {},
  };
  try {
    if (version === 1) new FastDecoderV1().decode(buf, sink);
    else new FastDecoderV2().decode(buf, sink);
  } catch (err) {
    if (err instanceof WireError) return "refused";
    throw err;
  }
  return n;
}

/** Bytes derived from a valid body: flipped, truncated, spliced or random. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([buf, flips]) => {
        const out = buf.slice();
        for (const [at, v] of flips) if (out.length > 0) out[at % out.length] = v;
        return out;
      }),
    fc.tuple(valid, fc.nat()).map(([buf, cut]) => buf.subarray(0, buf.length === 0 ? 0 : cut % buf.length)),
    fc.tuple(valid, fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([buf, at, ins]) => {
      const p = buf.length === 0 ? 0 : at % buf.length;
      return Uint8Array.from([...buf.subarray(0, p), ...ins, ...buf.subarray(p)]);
    }),
  );
}

describe("remoteWriteVersion", () => {
  it.each([
    ["application/x-protobuf", 1],
    ["application/x-protobuf;proto=prometheus.WriteRequest", 1],
    ["Application/X-Protobuf; proto=io.prometheus.write.v2.Request", 2],
    ["application/x-protobuf;proto=something.Else", undefined],
    ["application/json", undefined],
    [undefined, undefined],
  ] as const)("%s → %s", (type, version) => {
    expect(remoteWriteVersion(type)).toBe(version);
  });
});

describe("countRemoteWriteSamples", () => {
  it("counts samples and histograms of 1.0 requests", () => {
    fc.assert(
      fc.property(requestV1, (series) => {
        const want = series.reduce((n, ts) => n + ts.samples.length + ts.histograms.length, 0);
        expect(countRemoteWriteSamples(encodeV1(series), 1)).toBe(want);
      }),
    );
  });

  it("counts samples and histograms of 2.0 requests", () => {
    fc.assert(
      fc.property(requestV2, (req) => {
        const want = req.timeseries.reduce((n, ts) => n + ts.samples.length + ts.histograms.length, 0);
        expect(countRemoteWriteSamples(encodeRequestV2(req), 2)).toBe(want);
      }),
    );
  });

  it("counts an empty request as 0 and refuses broken framing with a WireError", () => {
    expect(countRemoteWriteSamples(new Uint8Array(0), 1)).toBe(0);
    const plain = encodeWriteRequestV1({
      timeseries: [
        {
          labels: [{ name: "__name__", value: "up" }],
          samples: [{ value: 1, timestamp: 1 }],
          exemplars: [],
          histogramCount: 0,
        },
      ],
      metadata: [],
    });
    expect(countRemoteWriteSamples(plain, 1)).toBe(1);
    const err = thrown(() => countRemoteWriteSamples(plain.subarray(0, plain.length - 3), 1));
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("malformed");
  });

  it.each([1, 2] as const)(
    "never crashes on mutated %s.0 bodies, and reads every body the ingest decoder takes",
    (version) => {
      const valid = version === 1 ? requestV1.map(encodeV1) : requestV2.map(encodeRequestV2);
      fc.assert(
        fc.property(mutated(valid), (buf) => {
          let counted: number | "refused";
          try {
            counted = countRemoteWriteSamples(buf, version);
          } catch (err) {
            expect(err).toBeInstanceOf(WireError);
            counted = "refused";
          }
          // The decoder hands over no histogram it finds invalid (its series is refused), which
          // the count, reading no histogram, includes: it may only count more.
          const byDecoder = decoded(buf, version);
          if (byDecoder !== "refused") expect(counted).toBeGreaterThanOrEqual(byDecoder);
        }),
        { numRuns: 500 },
      );
    },
  );
});
