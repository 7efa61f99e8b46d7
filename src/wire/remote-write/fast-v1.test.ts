import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { hashLabels } from "../../model/label-hash.js";
import { Labels } from "../../model/labels.js";
import { isStaleNaN, STALE_NAN } from "../../model/stale.js";
import { WireError } from "../errors.js";
import { decodeWriteRequestV1Fast, FastDecoderV1 } from "./fast-v1.js";
import type { RawLabels } from "./raw-labels.js";
import {
  anyDouble,
  bitsOf,
  comparableHistogram,
  histogram,
  histogramToPb,
  label,
  labelSet,
  labelText,
  PbWriteRequest,
  type RecordingOptions,
  recordingSink,
  thrown,
  timestamp,
} from "./remote-write.testlib.js";
import type { SeriesProblemCode } from "./series-problem.js";
import {
  decodeWriteRequestV1,
  encodeWriteRequestV1,
  type LabelV1,
  type MetricMetadataV1,
  type TimeSeriesV1,
  type WriteRequestV1,
} from "./v1.js";
import type { WriteSink } from "./write-sink.js";

const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

/** Decodes `buf` with a fresh decoder into a recording sink. */
function record(buf: Uint8Array, options: RecordingOptions = {}) {
  const rec = recordingSink(options);
  new FastDecoderV1().decode(buf, rec.sink);
  return rec;
}

/** What the object decoder makes of `buf`, in the recording's shape (no histogram contents). */
function expected(req: WriteRequestV1) {
  return {
    series: req.timeseries.map((ts) => ({
      labels: ts.labels,
      samples: ts.samples.map((s) => [s.timestamp, bitsOf(s.value), 0]),
      exemplars: ts.exemplars.map((e) => ({
        labels: e.labels,
        value: bitsOf(e.value),
        timestamp: e.timestamp,
      })),
      histograms: ts.histogramCount,
    })),
    metadata: req.metadata.map((m) => ({
      type: m.type,
      familyName: m.metricFamilyName,
      help: m.help,
      unit: m.unit,
    })),
  };
}

function recorded(rec: ReturnType<typeof recordingSink>) {
  return {
    series: rec.series.map((s) => ({
      labels: s.labels,
      samples: s.samples,
      exemplars: s.exemplars,
      histograms: s.histograms.length,
    })),
    metadata: rec.requestMetadata,
  };
}

/** The problem a receiver sees in `labels`, computed the slow way. */
function labelCode(labels: readonly LabelV1[]): SeriesProblemCode | undefined {
  if (labels.some((l) => l.name === "")) return "empty_label_name";
  if (new Set(labels.map((l) => l.name)).size !== labels.length) return "repeated_label_name";
  if (!labels.some((l) => l.name === "__name__" && l.value !== "")) return "missing_metric_name";
  return undefined;
}

const sampleArb = fc.record({ value: anyDouble, timestamp });
const seriesArb: fc.Arbitrary<TimeSeriesV1> = fc.record({
  labels: labelSet,
  samples: fc.array(sampleArb, { maxLength: 6 }),
  exemplars: fc.array(fc.record({ labels: fc.array(label, { maxLength: 3 }), value: anyDouble, timestamp }), {
    maxLength: 2,
  }),
  histogramCount: fc.constant(0),
});
const metadataArb: fc.Arbitrary<MetricMetadataV1> = fc.record({
  type: fc.integer({ min: 0, max: 7 }),
  metricFamilyName: labelText,
  help: labelText,
  unit: labelText,
});
const requestArb: fc.Arbitrary<WriteRequestV1> = fc.record({
  timeseries: fc.array(seriesArb, { maxLength: 5 }),
  metadata: fc.array(metadataArb, { maxLength: 2 }),
});

/**
 * Writes `req` the way no mainstream sender does but protobuf allows: fields of a message in any
 * order (repeated fields keep their relative order), singular fields written twice (the last
 * counts), explicit zeros, and unknown fields of every wire type. `rand` drives the choices.
 */
function scramble(req: WriteRequestV1, rand: () => number): Uint8Array {
  const w = new ProtobufWriter();
  const coin = (p = 0.5) => rand() < p;
  const unknown = () => {
    if (!coin(0.2)) return;
    const kind = Math.floor(rand() * 4);
    if (kind === 0) w.tag(15, 0).int64(-5);
    else if (kind === 1) w.tag(14, 1).double(2.5);
    else if (kind === 2) w.tag(13, 2).string("junk");
    else w.tag(12, 5).fixed32(7);
  };
  /** Writes the groups' items interleaved at random, each group in its own order. */
  const interleave = (groups: (() => void)[][]) => {
    const next = groups.map(() => 0);
    for (;;) {
      const open = groups.map((g, i) => (next[i]! < g.length ? i : -1)).filter((i) => i >= 0);
      if (open.length === 0) return;
      const g = open[Math.floor(rand() * open.length)]!;
      unknown();
      groups[g]![next[g]!++]!();
    }
  };
  // Each writes a field, maybe after an occurrence that it overrides, maybe explicitly when default.
  const string = (field: number, s: string) => {
    const twice = coin(0.2);
    if (twice) w.tag(field, 2).string("overwritten");
    if (twice || s !== "" || coin(0.3)) w.tag(field, 2).string(s);
  };
  const double = (field: number, v: number) => {
    const twice = coin(0.2);
    if (twice) w.tag(field, 1).double(-1);
    if (twice || v !== 0 || Object.is(v, -0) || coin(0.3)) w.tag(field, 1).double(v);
  };
  const int64 = (field: number, v: number) => {
    const twice = coin(0.2);
    if (twice) w.tag(field, 0).int64(12345);
    if (twice || v !== 0 || coin(0.3)) w.tag(field, 0).int64(v);
  };
  const message = (field: number, body: () => void) => {
    const m = w.tag(field, 2).fork();
    body();
    unknown();
    w.join(m);
  };
  const labelMsg = (field: number, l: LabelV1) => () =>
    message(field, () => interleave([[() => string(1, l.name)], [() => string(2, l.value)]]));
  interleave([
    req.timeseries.map(
      (ts) => () =>
        message(1, () =>
          interleave([
            ts.labels.map((l) => labelMsg(1, l)),
            ts.samples.map(
              (s) => () =>
                message(2, () => interleave([[() => double(1, s.value)], [() => int64(2, s.timestamp)]])),
            ),
            ts.exemplars.map(
              (e) => () =>
                message(3, () =>
                  interleave([
                    e.labels.map((l) => labelMsg(1, l)),
                    [() => double(2, e.value)],
                    [() => int64(3, e.timestamp)],
                  ]),
                ),
            ),
          ]),
        ),
    ),
    req.metadata.map(
      (m) => () =>
        message(3, () =>
          interleave([
            [() => (m.type !== 0 || coin(0.3) ? w.tag(1, 0).int64(m.type) : undefined)],
            [() => string(2, m.metricFamilyName)],
            [() => string(4, m.help)],
            [() => string(5, m.unit)],
          ]),
        ),
    ),
  ]);
  return w.finish();
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe("FastDecoderV1", () => {
  it("hands the sink exactly what decodeWriteRequestV1 returns, on arbitrary requests", () => {
    const decoder = new FastDecoderV1(); // reused across requests, as a receiver would
    fc.assert(
      fc.property(requestArb, fc.boolean(), (req, batch) => {
        const buf = encodeWriteRequestV1(req);
        const rec = recordingSink({ batch });
        decoder.decode(buf, rec.sink);
        expect(recorded(rec)).toEqual(expected(decodeWriteRequestV1(buf)));
        expect(recorded(rec)).toEqual(expected(req));
        for (const s of rec.series) expect(s.problem).toBe(labelCode(s.labels));
      }),
      { numRuns: 500 },
    );
  });

  it("agrees with decodeWriteRequestV1 on scrambled but valid encodings", () => {
    fc.assert(
      fc.property(requestArb, fc.integer(), fc.boolean(), (req, seed, batch) => {
        const buf = scramble(req, lcg(seed));
        const want = decodeWriteRequestV1(buf);
        expect(comparableRequest(want)).toEqual(comparableRequest(req));
        expect(recorded(record(buf, { batch }))).toEqual(expected(want));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps stale markers bit for bit, and reads negative and large timestamps", () => {
    // Not a JS array of doubles, which would quiet the stale marker (a signaling NaN) in it.
    const value = (i: number) =>
      i === 0 ? STALE_NAN : i === 1 ? Number.NaN : i === 2 ? -0 : i === 3 ? -Infinity : 1.5;
    const times = [-1, -1_234_567_890_123, 2 ** 49, Number.MAX_SAFE_INTEGER, 0];
    const values = times.map((_, i) => bitsOf(value(i)));
    expect(values[0]).toBe("7ff0000000000002");
    const req: WriteRequestV1 = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "x" }],
          samples: times.map((timestamp, i) => ({ value: value(i), timestamp })),
          exemplars: [],
          histogramCount: 0,
        },
      ],
      metadata: [],
    };
    for (const batch of [false, true]) {
      const got = record(encodeWriteRequestV1(req), { batch }).series[0]!.samples;
      expect(got).toEqual(values.map((bits, i) => [times[i], bits, 0]));
    }
    // Into a typed array, which keeps every bit (a JS array would quiet the signaling NaN).
    const got = new Float64Array(times.length);
    let n = 0;
    const sink: WriteSink = {
      series: () => 0,
      sample: (_h, _t, value) => {
        got[n++] = value;
      },
    };
    decodeWriteRequestV1Fast(encodeWriteRequestV1(req), sink);
    expect(isStaleNaN(got[0]!)).toBe(true);
    expect(Number.isNaN(got[1]!) && !isStaleNaN(got[1]!)).toBe(true);
  });

  it("decodes native histograms as protobufjs wrote them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ labels: labelSet, histograms: fc.array(histogram(false), { maxLength: 3 }) }), {
          maxLength: 3,
        }),
        (series) => {
          const obj = {
            timeseries: series.map((s) => ({
              labels: s.labels,
              histograms: s.histograms.map((h) => histogramToPb(h, false)),
            })),
          };
          const buf = PbWriteRequest.encode(PbWriteRequest.fromObject(obj)).finish();
          const rec = record(buf);
          expect(rec.series.map((s) => s.histograms.map((h) => comparableHistogram(h, true)))).toEqual(
            series.map((s) => s.histograms.map((h) => comparableHistogram(h, true))),
          );
          expect(rec.series.map((s) => s.histograms.length)).toEqual(
            decodeWriteRequestV1(buf).timeseries.map((ts) => ts.histogramCount),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a series with a histogram that mixes kinds, through problem()", () => {
    const obj = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "h" }],
          histograms: [{ countInt: 2 }, { countInt: 1, positiveCounts: [1] }],
        },
      ],
    };
    const rec = record(PbWriteRequest.encode(PbWriteRequest.fromObject(obj)).finish());
    expect(rec.series[0]!.problem).toBe("histogram_mixed_kinds");
    expect(rec.series[0]!.histograms).toHaveLength(1);
  });

  it("gives the same hash as hashLabels and finds series by it", () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const rec = record(encodeWriteRequestV1(req));
        for (const s of rec.series) {
          if (s.problem !== undefined) continue;
          const labels = Labels.fromPairs(s.labels.flatMap((l) => [l.name, l.value]));
          expect(s.hash).toBe(hashLabels(labels));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("skips the data of series the sink declines, and leaves out absent methods", () => {
    const req: WriteRequestV1 = {
      timeseries: [0, 1, 2].map((i) => ({
        labels: [{ name: "__name__", value: `m${i}` }],
        samples: [{ value: i, timestamp: i }],
        exemplars: [{ labels: [{ name: "trace_id", value: "t" }], value: i, timestamp: i }],
        histogramCount: 0,
      })),
      metadata: [{ type: 1, metricFamilyName: "m", help: "h", unit: "" }],
    };
    const buf = encodeWriteRequestV1(req);
    const rec = record(buf, { skip: (i) => i === 1 });
    expect(rec.series.map((s) => [s.samples.length, s.exemplars.length])).toEqual([
      [1, 1],
      [0, 0],
      [1, 1],
    ]);
    const bare = record(buf, { exemplars: false, metadata: false, histograms: false });
    expect(bare.series.map((s) => s.exemplars.length)).toEqual([0, 0, 0]);
    expect(bare.requestMetadata).toEqual([]);
  });

  it("hands samples in runs when there are many", () => {
    const req: WriteRequestV1 = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "x" }],
          samples: Array.from({ length: 1000 }, (_, i) => ({ value: i, timestamp: i })),
          exemplars: [],
          histogramCount: 0,
        },
      ],
      metadata: [],
    };
    const runs: number[] = [];
    const sink: WriteSink = {
      series: () => 0,
      sample: () => {
        throw new Error("batch sink got a single sample");
      },
      samples: (_h, count, ts, vs) => {
        runs.push(count);
        for (let i = 0; i < count; i++) expect(ts[i]).toBe(vs[i]);
      },
    };
    new FastDecoderV1().decode(encodeWriteRequestV1(req), sink);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(runs.length).toBeGreaterThan(1);
  });

  it("reuses one view for every series, valid only during the call", () => {
    const views = new Set<RawLabels>();
    const sink: WriteSink = {
      series: (labels) => {
        views.add(labels);
        return 0;
      },
      sample: () => {},
    };
    const req: WriteRequestV1 = {
      timeseries: ["a", "b"].map((v) => ({
        labels: [{ name: "__name__", value: v }],
        samples: [],
        exemplars: [],
        histogramCount: 0,
      })),
      metadata: [],
    };
    new FastDecoderV1().decode(encodeWriteRequestV1(req), sink);
    expect(views.size).toBe(1);
    expect([...views][0]!.count).toBe(0); // emptied once the decode is over
  });

  it("lets the sink's errors through unchanged", () => {
    const boom = new Error("boom");
    const sink: WriteSink = {
      series: () => 0,
      sample: () => {
        throw boom;
      },
    };
    const buf = encodeWriteRequestV1({
      timeseries: [{ labels: [], samples: [{ value: 1, timestamp: 1 }], exemplars: [], histogramCount: 0 }],
      metadata: [],
    });
    expect(thrown(() => new FastDecoderV1().decode(buf, sink))).toBe(boom);
  });

  const malformed: [string, string, RegExp][] = [
    ["truncated series", "0a05 0a03", /truncated/],
    ["series length past the end", "0a7f", /truncated/],
    ["sample value as varint", "0a04 1202 0801", /Sample field 1 has wrong wire type 0/],
    ["timeseries as varint", "0801", /WriteRequest field 1 has wrong wire type 0/],
    ["label name as fixed32", "0a07 0a05 0d01020304", /Label field 1 has wrong wire type 5/],
    ["invalid UTF-8 in a label", "0a06 0a04 0a02c328", /not valid UTF-8/],
    ["invalid UTF-8 in an overwritten name", "0a0a 0a08 0a02c328 0a02 6162", /not valid UTF-8/],
    ["invalid UTF-8 in an exemplar label", "0a08 1a06 0a04 1202 c328", /not valid UTF-8/],
    ["truncated sample", "0a06 1204 09000000", /truncated/],
    ["group (field 5)", "2b", /groups/],
    ["wire type 7 (field 5)", "2f", /invalid wire type 7/],
    ["field number 0", "0200", /field number 0/],
    ["ten-byte varint overflow in a sample", "0a0d 120b 10 ffffffffffffffffff7f", /longer than 64 bits/],
  ];
  it.each(malformed)("rejects %s with WireError malformed", (_name, input, message) => {
    const bytes = unhex(input);
    expect(thrown(() => decodeWriteRequestV1(bytes))).toBeInstanceOf(WireError);
    const err = thrown(() => record(bytes));
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("malformed");
    expect((err as WireError).message).toMatch(message);
    expect((err as WireError).message).toMatch(/^remote-write 1\.0: invalid WriteRequest: .* at byte \d+$/);
  });

  /**
   * The fast decoder, with a sink taking everything but histograms (whose contents the object
   * decoder does not read), refuses exactly the bodies the object decoder refuses, and agrees on
   * the others; with histograms it refuses at least those.
   */
  function agrees(buf: Uint8Array): void {
    const objErr = thrown(() => decodeWriteRequestV1(buf));
    const rec = recordingSink({ histograms: false });
    const fastErr = thrown(() => new FastDecoderV1().decode(buf, rec.sink));
    if (fastErr !== undefined) expect(fastErr).toBeInstanceOf(WireError);
    expect(fastErr === undefined).toBe(objErr === undefined);
    if (objErr === undefined) {
      const want = expected(decodeWriteRequestV1(buf));
      expect(recorded(rec)).toEqual({ ...want, series: want.series.map((s) => ({ ...s, histograms: 0 })) });
    }
    const full = thrown(() => record(buf));
    if (full !== undefined) expect(full).toBeInstanceOf(WireError);
    if (objErr !== undefined) expect(full).toBeInstanceOf(WireError);
  }

  it("agrees with decodeWriteRequestV1 on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), agrees), { numRuns: 3000 });
  });

  it("agrees with decodeWriteRequestV1 on damaged valid requests", () => {
    fc.assert(
      fc.property(
        requestArb,
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
          agrees(bad);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** A request with doubles as bits. */
function comparableRequest(req: WriteRequestV1) {
  return {
    timeseries: req.timeseries.map((ts) => ({
      labels: ts.labels,
      samples: ts.samples.map((s) => ({ value: bitsOf(s.value), timestamp: s.timestamp })),
      exemplars: ts.exemplars.map((e) => ({
        labels: e.labels,
        value: bitsOf(e.value),
        timestamp: e.timestamp,
      })),
    })),
    metadata: req.metadata,
  };
}
