import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { isStaleNaN, STALE_NAN } from "../../model/stale.js";
import { WireError } from "../errors.js";
import {
  bitsOf,
  comparableHistogram,
  PB_OBJECT,
  PbRequestV2,
  pbBytesV2,
  type RawSeriesV2,
  rawRequestV2,
  requestV2,
  thrown,
} from "./remote-write.testlib.js";
import type { SeriesProblemCode } from "./series-problem.js";
import type { LabelV1 } from "./v1.js";
import { encodeWriteRequestV1 } from "./v1.js";
import {
  type DecodedRequestV2,
  decodeRequestV2,
  encodeRequestV2,
  MetricTypeV2,
  type RequestV2,
  type TimeSeriesV2,
} from "./v2.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

const RANK: SeriesProblemCode[] = [
  "odd_labels_refs",
  "symbol_ref_out_of_range",
  "samples_and_histograms",
  "histogram_mixed_kinds",
  "exemplar_without_timestamp",
  "empty_label_name",
  "repeated_label_name",
  "missing_metric_name",
];
const firstCode = (codes: SeriesProblemCode[]) =>
  codes.length === 0 ? undefined : codes.reduce((a, b) => (RANK.indexOf(b) < RANK.indexOf(a) ? b : a));

/** The label problem of a valid-structure series, computed the slow way. */
function labelCode(labels: readonly LabelV1[]): SeriesProblemCode | undefined {
  if (labels.some((l) => l.name === "")) return "empty_label_name";
  if (new Set(labels.map((l) => l.name)).size !== labels.length) return "repeated_label_name";
  if (!labels.some((l) => l.name === "__name__" && l.value !== "")) return "missing_metric_name";
  return undefined;
}

/** The problem code a decoder must report for `ts` as encoded by `encodeRequestV2`. */
function expectedCode(ts: TimeSeriesV2): SeriesProblemCode | undefined {
  const codes: SeriesProblemCode[] = [];
  if (ts.samples.length > 0 && ts.histograms.length > 0) codes.push("samples_and_histograms");
  if (ts.exemplars.some((e) => e.timestamp === 0)) codes.push("exemplar_without_timestamp");
  return firstCode(codes) ?? labelCode(ts.labels);
}

/** A request with every double replaced by its bits, and problems by their codes. */
function comparable(req: RequestV2 | DecodedRequestV2) {
  return req.timeseries.map((ts) => ({
    labels: ts.labels,
    samples: ts.samples.map((s) => ({ ...s, value: bitsOf(s.value) })),
    histograms: ts.histograms.map((h) => comparableHistogram(h)),
    exemplars: ts.exemplars.map((e) => ({ ...e, value: bitsOf(e.value) })),
    metadata: ts.metadata,
  }));
}

describe("remote-write 2.0 Request", () => {
  it("encodes a minimal request byte for byte", () => {
    const req: RequestV2 = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "up" }],
          samples: [{ value: 1, timestamp: 1000, startTimestamp: 0 }],
          histograms: [],
          exemplars: [],
          metadata: { type: MetricTypeV2.GAUGE, help: "", unit: "" },
        },
      ],
    };
    const want = `
      2200 2208 5f5f6e616d655f5f 2202 7570
      2a16 0a02 0102 120c 09000000000000f03f 10e807 2a02 0802`;
    expect(hex(encodeRequestV2(req))).toBe(want.replace(/\s+/g, ""));
    expect(decodeRequestV2(unhex(want))).toEqual({
      timeseries: [{ ...req.timeseries[0], problem: undefined }],
    });
  });

  it("decodes an empty body, and a 1.0 body, as an empty request", () => {
    expect(decodeRequestV2(new Uint8Array(0))).toEqual({ timeseries: [] });
    const v1 = encodeWriteRequestV1({
      timeseries: [
        {
          labels: [{ name: "a", value: "b" }],
          samples: [{ value: 1, timestamp: 2 }],
          exemplars: [],
          histogramCount: 0,
        },
      ],
      metadata: [],
    });
    expect(decodeRequestV2(v1)).toEqual({ timeseries: [] });
  });

  it("round-trips arbitrary requests, reporting exactly the problems they have", () => {
    fc.assert(
      fc.property(requestV2, (req) => {
        const back = decodeRequestV2(encodeRequestV2(req));
        expect(comparable(back)).toEqual(comparable(req));
        expect(back.timeseries.map((ts) => ts.problem?.code)).toEqual(req.timeseries.map(expectedCode));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the stale marker bit for bit", () => {
    const req: RequestV2 = {
      timeseries: [
        {
          labels: [{ name: "__name__", value: "x" }],
          samples: [
            { value: STALE_NAN, timestamp: 1, startTimestamp: 0 },
            { value: Number.NaN, timestamp: 2, startTimestamp: 0 },
          ],
          histograms: [],
          exemplars: [],
          metadata: { type: 0, help: "", unit: "" },
        },
      ],
    };
    const [stale, nan] = decodeRequestV2(encodeRequestV2(req)).timeseries[0]!.samples;
    expect(isStaleNaN(stale!.value)).toBe(true);
    expect(Number.isNaN(nan!.value) && !isStaleNaN(nan!.value)).toBe(true);
  });

  it("writes bytes that protobufjs reads back the same", () => {
    fc.assert(
      fc.property(requestV2, (req) => {
        const o = PbRequestV2.toObject(PbRequestV2.decode(encodeRequestV2(req)), PB_OBJECT);
        const symbols = o.symbols as string[];
        expect(symbols[0]).toBe("");
        expect(new Set(symbols).size).toBe(symbols.length);
        const resolve = (refs: number[]) => {
          const out: LabelV1[] = [];
          for (let i = 0; i < refs.length; i += 2)
            out.push({ name: symbols[refs[i]!]!, value: symbols[refs[i + 1]!]! });
          return out;
        };
        type PbSeries = {
          labelsRefs: number[];
          samples: { value: number; timestamp: number; startTimestamp: number }[];
          histograms: unknown[];
          exemplars: { labelsRefs: number[]; value: number; timestamp: number }[];
          metadata: { type: number; helpRef: number; unitRef: number } | null;
        };
        const got = (o.timeseries as PbSeries[]).map((ts, i) => ({
          labels: resolve(ts.labelsRefs),
          samples: ts.samples.map((s) => ({ ...s, value: bitsOf(s.value) })),
          histograms: ts.histograms.length,
          exemplars: ts.exemplars.map((e) => ({
            labels: resolve(e.labelsRefs),
            value: bitsOf(e.value),
            timestamp: e.timestamp,
          })),
          metadata: {
            type: ts.metadata?.type ?? 0,
            help: symbols[ts.metadata?.helpRef ?? 0],
            unit: symbols[ts.metadata?.unitRef ?? 0],
          },
          index: i,
        }));
        expect(got).toEqual(
          comparable(req).map((ts, i) => ({ ...ts, histograms: ts.histograms.length, index: i })),
        );
      }),
      { numRuns: 200 },
    );
  });

  function model(symbols: readonly string[], ts: RawSeriesV2) {
    const codes: SeriesProblemCode[] = [];
    const resolve = (r: number[], out: LabelV1[]) => {
      if (r.length % 2 !== 0) codes.push("odd_labels_refs");
      for (let i = 0; i + 1 < r.length; i += 2) {
        const name = symbols[r[i]!];
        const value = symbols[r[i + 1]!];
        if (name === undefined || value === undefined) codes.push("symbol_ref_out_of_range");
        else out.push({ name, value });
      }
      return out;
    };
    const labels = resolve(ts.labelsRefs, []);
    const exemplars = ts.exemplars.map((e) => {
      if (e.timestamp === 0) codes.push("exemplar_without_timestamp");
      return { labels: resolve(e.labelsRefs, []), value: bitsOf(e.value), timestamp: e.timestamp };
    });
    const md = ts.metadata ?? { type: 0, helpRef: 0, unitRef: 0 };
    const at = (ref: number) => (ref === 0 ? "" : symbols[ref]);
    if (at(md.helpRef) === undefined || at(md.unitRef) === undefined) codes.push("symbol_ref_out_of_range");
    if (ts.samples.length > 0 && ts.histograms.length > 0) codes.push("samples_and_histograms");
    return {
      labels,
      problem: firstCode(codes) ?? labelCode(labels),
      samples: ts.samples.map((s) => ({ ...s, value: bitsOf(s.value) })),
      histograms: ts.histograms.map((h) => comparableHistogram(h, true)),
      exemplars,
      metadata: { type: md.type, help: at(md.helpRef) ?? "", unit: at(md.unitRef) ?? "" },
    };
  }

  it("reads the bytes protobufjs writes, resolving references and reporting each series' problem", () => {
    fc.assert(
      fc.property(rawRequestV2, (req) => {
        const bytes = pbBytesV2(req);
        if (req.symbols.length > 0 && req.symbols[0] !== "") {
          const err = thrown(() => decodeRequestV2(bytes));
          expect(err).toBeInstanceOf(WireError);
          expect((err as WireError).message).toMatch(/symbols\[0\] must be the empty string/);
          return;
        }
        const got = decodeRequestV2(bytes).timeseries.map((ts) => ({
          labels: ts.labels,
          problem: ts.problem?.code,
          samples: ts.samples.map((s) => ({ ...s, value: bitsOf(s.value) })),
          histograms: ts.histograms.map((h) => comparableHistogram(h, true)),
          exemplars: ts.exemplars.map((e) => ({ ...e, value: bitsOf(e.value) })),
          metadata: ts.metadata,
        }));
        expect(got).toEqual(req.timeseries.map((ts) => model(req.symbols, ts)));
      }),
      { numRuns: 500 },
    );
  });

  const valid = { labelsRefs: [1, 2], samples: [{ value: 1, timestamp: 5 }] };
  const problems: [string, Record<string, unknown>, SeriesProblemCode, RegExp][] = [
    ["odd labels_refs", { ...valid, labelsRefs: [1, 2, 1] }, "odd_labels_refs", /series has 3 labels_refs/],
    [
      "a ref past the table",
      { ...valid, labelsRefs: [1, 9] },
      "symbol_ref_out_of_range",
      /labels_refs\[1\] = 9 .* \(4 symbols\)/,
    ],
    [
      "samples and histograms",
      { ...valid, histograms: [{ countInt: 1 }] },
      "samples_and_histograms",
      /1 samples and 1 histograms/,
    ],
    [
      "a mixed histogram",
      { labelsRefs: [1, 2], histograms: [{ countInt: 1, positiveCounts: [1] }] },
      "histogram_mixed_kinds",
      /integer histogram .* also has float fields/,
    ],
    [
      "an exemplar without timestamp",
      { ...valid, exemplars: [{ value: 1 }] },
      "exemplar_without_timestamp",
      /exemplar 0/,
    ],
    [
      "an odd exemplar",
      { ...valid, exemplars: [{ labelsRefs: [3], timestamp: 1 }] },
      "odd_labels_refs",
      /exemplar 0 has 1/,
    ],
    [
      "a help ref past the table",
      { ...valid, metadata: { helpRef: 4 } },
      "symbol_ref_out_of_range",
      /help_ref = 4/,
    ],
    ["an empty name", { ...valid, labelsRefs: [1, 2, 0, 3] }, "empty_label_name", /empty name/],
    [
      "a repeated name",
      { ...valid, labelsRefs: [1, 2, 3, 2, 3, 2] },
      "repeated_label_name",
      /"x" is repeated/,
    ],
    ["no metric name", { ...valid, labelsRefs: [3, 2] }, "missing_metric_name", /no metric name/],
    [
      "odd refs before samples and histograms",
      { ...valid, labelsRefs: [1], histograms: [{ countInt: 1 }] },
      "odd_labels_refs",
      /labels_refs/,
    ],
  ];
  it.each(problems)("refuses just the series with %s", (_name, ts, code, message) => {
    const symbols = ["", "__name__", "up", "x"];
    const bytes = PbRequestV2.encode(
      PbRequestV2.fromObject({ symbols, timeseries: [valid, ts, valid] }),
    ).finish();
    const got = decodeRequestV2(bytes).timeseries;
    expect(got.map((s) => s.problem?.code)).toEqual([undefined, code, undefined]);
    expect(got[1]!.problem!.message).toMatch(message);
  });

  it("reads unpacked references and merges repeated metadata", () => {
    const w = new ProtobufWriter();
    for (const s of ["", "__name__", "up", "help", "unit"]) w.tag(4, 2).string(s);
    const ts = w.tag(5, 2).fork();
    w.tag(1, 0).uint32(1).tag(1, 0).uint32(2);
    let m = w.tag(5, 2).fork();
    w.tag(1, 0).uint32(MetricTypeV2.COUNTER).tag(3, 0).uint32(3);
    w.join(m);
    m = w.tag(5, 2).fork();
    w.tag(4, 0).uint32(4);
    w.join(m);
    const ex = w.tag(4, 2).fork();
    w.tag(1, 0).uint32(1).tag(1, 0).uint32(2).tag(3, 0).int64(7);
    w.join(ex);
    w.join(ts);
    const [got] = decodeRequestV2(w.finish()).timeseries;
    expect(got!.labels).toEqual([{ name: "__name__", value: "up" }]);
    expect(got!.exemplars[0]!.labels).toEqual([{ name: "__name__", value: "up" }]);
    expect(got!.metadata).toEqual({ type: MetricTypeV2.COUNTER, help: "help", unit: "unit" });
    expect(got!.problem).toBeUndefined();
  });

  it("reports references into an empty symbols table per series", () => {
    const bytes = PbRequestV2.encode(
      PbRequestV2.fromObject({ timeseries: [{ labelsRefs: [0, 0] }, {}] }),
    ).finish();
    expect(decodeRequestV2(bytes).timeseries.map((ts) => ts.problem?.code)).toEqual([
      "symbol_ref_out_of_range",
      "missing_metric_name",
    ]);
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
    const err = thrown(() => decodeRequestV2(unhex(input)));
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("malformed");
    expect((err as WireError).message).toMatch(message);
    expect((err as WireError).message).toMatch(/^remote-write 2\.0: invalid Request: /);
  });

  it("decodes arbitrary bytes or throws WireError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
        const err = thrown(() => decodeRequestV2(buf));
        if (err !== undefined) expect(err).toBeInstanceOf(WireError);
      }),
      { numRuns: 3000 },
    );
  });

  it("decodes damaged valid requests or throws WireError, never anything else", () => {
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
          const err = thrown(() => decodeRequestV2(bad));
          if (err !== undefined) expect(err).toBeInstanceOf(WireError);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("rejects a non-integer timestamp when encoding", () => {
    const ts: TimeSeriesV2 = {
      labels: [],
      samples: [{ value: 1, timestamp: 1.5, startTimestamp: 0 }],
      histograms: [],
      exemplars: [],
      metadata: { type: 0, help: "", unit: "" },
    };
    expect(() => encodeRequestV2({ timeseries: [ts] })).toThrow(RangeError);
  });
});
