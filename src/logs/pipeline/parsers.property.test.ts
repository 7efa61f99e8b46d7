import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { type LogQueryExpr, parseLogQL } from "../logql/index.js";
import type { JsonValue } from "./json.js";
import { scanJsonObject } from "./json-scan.js";
import { ERROR_LABEL, LineLabels } from "./line-labels.js";
import { scanLogfmt } from "./logfmt.js";
import { compilePipeline } from "./pipeline.js";

const STREAM = Labels.fromRecord({ app: "api", level: "info" });
const CODES = new Set(["JSONParserErr", "LogfmtParserErr", "LabelFilterErr"]);

function pipeline(text: string) {
  return compilePipeline((parseLogQL(`{app="api"} ${text}`) as LogQueryExpr).pipeline);
}

const PARSERS = [
  "| json",
  '| json a="x.y[0]", b=`["k"]`',
  "| logfmt",
  "| logfmt --strict",
  "| logfmt --keep-empty a, b",
  '| regexp "(?P<a>\\\\w+)=(?P<b>\\\\S*)"',
  '| pattern "<a> <_> \\"<b>\\" <c>"',
  "| unpack",
  "| json | logfmt | status > 300 | d > 1s | s > 1KB",
  "| decolorize | logfmt | drop a | keep app, b, c",
];

/** Lines mixing arbitrary text with the characters parsers care about. */
const lines = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: fc.constantFrom(...'ab=" \\{}[]:,.0123456789\x1b\nu') }),
  fc.json(),
  fc
    .array(fc.tuple(fc.string({ unit: fc.constantFrom(..."abcs_.-") }), fc.string()))
    .map((pairs) => pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")),
);

describe("parsers on random input", () => {
  it.each(PARSERS)("%s never throws, keeps the line and only sets known error codes", (text) => {
    const p = pipeline(text);
    fc.assert(
      fc.property(lines, (line) => {
        const r = p.process(0n, line, new LineLabels(STREAM));
        if (r === undefined) return; // a label filter may drop it
        const err = r.labels.get(ERROR_LABEL);
        if (err !== undefined) expect(CODES.has(err)).toBe(true);
        expect(r.labels.get("app")).toBe("api");
        // Every label name is valid.
        for (const n of r.labels.names()) expect(n).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      }),
      { numRuns: 300 },
    );
  });

  it("json never errors on a JSON object", () => {
    const p = pipeline("| json");
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const r = p.process(0n, JSON.stringify(obj), new LineLabels(STREAM));
        expect(r?.labels.get(ERROR_LABEL)).toBeUndefined();
      }),
    );
  });

  it("logfmt --strict reads back what a logfmt encoder wrote", () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, fc.string()), { selector: ([k]) => k }), (pairs) => {
        const line = pairs
          .map(([k, v]) => (/^[^\s="\\]+$/.test(v) ? `${k}=${v}` : `${k}=${JSON.stringify(v)}`))
          .join(" ");
        const got: [string, string][] = [];
        expect(scanLogfmt(line, true, (k, v) => got.push([k, v]))).toBeUndefined();
        expect(got).toEqual(pairs);
      }),
    );
  });
});

/** The reference for `| json`: `JSON.parse`, then scalars flattened with `_`, arrays and nulls skipped. */
function flattenReference(v: JsonValue, prefix: string, out: [string, string][]): void {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return;
  for (const k of Object.keys(v)) {
    const x = v[k]!;
    const key = prefix === "" ? k : `${prefix}_${k}`;
    if (x === null || Array.isArray(x)) continue;
    if (typeof x === "object") flattenReference(x, key, out);
    else out.push([key, typeof x === "string" ? x : String(x)]);
  }
}

describe("the JSON scanner", () => {
  it("accepts exactly what JSON.parse accepts as an object (raw control characters aside)", () => {
    const text = fc.oneof(
      fc.json(),
      fc.string({ unit: fc.constantFrom(...'{}[]":,.-+eE0129 \\untrfals') }),
      fc.json().map((j) => j.slice(0, j.length - 1)),
    );
    fc.assert(
      fc.property(text, (t) => {
        let ok: boolean;
        try {
          const v = JSON.parse(t) as unknown;
          ok = typeof v === "object" && v !== null && !Array.isArray(v);
        } catch {
          ok = false;
        }
        expect(scanJsonObject(t, () => {}) === undefined).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });

  it("reports what JSON.parse and flattening give (numbers by value; the scanner keeps their text)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const text = JSON.stringify(obj);
        const want: [string, string][] = [];
        flattenReference(JSON.parse(text) as JsonValue, "", want);
        const got: [string, string][] = [];
        expect(scanJsonObject(text, (k, v) => got.push([k, v]))).toBeUndefined();
        // Keys and strings alike; numbers compare by value. Duplicate keys (after nesting) are possible:
        // compare as last-wins maps, as the label set sees them.
        const norm = (xs: [string, string][]) =>
          new Map(
            xs.map(([k, v]) => [k, /^-?\d/.test(v) && Number.isFinite(Number(v)) ? String(Number(v)) : v]),
          );
        expect(norm(got)).toEqual(norm(want));
      }),
    );
  });

  it("keeps the text of numbers", () => {
    const got: string[] = [];
    scanJsonObject('{"a":1.50,"b":-0,"c":1e3,"d":{"e":[1,{"f":2}],"g":true,"h":null}}', (k, v) =>
      got.push(`${k}=${v}`),
    );
    expect(got).toEqual(["a=1.50", "b=-0", "c=1e3", "d_g=true"]);
  });
});
