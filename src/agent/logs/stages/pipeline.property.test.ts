import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePipeline } from "./compile.js";
import { type Entry, newEntry } from "./entry.js";

/** Valid stage configurations that never merge lines (no multiline, no CRI partial records in the inputs). */
const STAGES: unknown[] = [
  { cri: {} },
  { docker: {} },
  { json: { expressions: { level: "", msg: "", a: "a.b", first: "items[0]", q: '"x.y"' } } },
  { json: { expressions: { level: "" }, drop_malformed: true } },
  { logfmt: { mapping: { level: "", msg: "" } } },
  { regex: { expression: "(?P<word>\\w+)\\s+(?P<num>\\d+)?" } },
  { labels: { level: "", word: "" } },
  { static_labels: { env: "test" } },
  { structured_metadata: { msg: "" } },
  { labeldrop: ["env"] },
  { labelallow: ["app", "level", "log_error", "stream"] },
  { timestamp: { source: "msg", format: "RFC3339", fallback_formats: ["Unix", "2006-01-02 15:04:05"] } },
  { timestamp: { source: "num", format: "UnixMs", action_on_failure: "skip" } },
  { timestamp: { source: "word", format: "Stamp", location: "Europe/Paris" } },
  { output: { source: "msg" } },
  { replace: { expression: "(\\d+)", replace: "<{{ .Value }}>" } },
  { replace: { expression: "(?P<w>[a-z]+)", source: "msg", replace: "{{ ToUpper .Value }}" } },
  { template: { source: "level", template: "{{ .level | ToLower }}-{{ .Value }}" } },
  { drop: { expression: "^drop" } },
  { drop: { source: "level", value: "debug" } },
  { drop: { older_than: "1h" } },
  { drop: { longer_than: 40 } },
  { limit: { rate: 5, burst: 3 } },
  { limit: { rate: 1, burst: 1, by_label_name: "level", max_distinct_labels: 2 } },
  {
    match: {
      selector: '{app="a"} |= "x"',
      stages: [{ json: { expressions: { level: "" } } }, { labels: { level: "" } }],
    },
  },
  { match: { selector: '{level=~"warn|error"}', action: "drop" } },
];

const line = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(
    '{"level":"debug","msg":"x 12"}',
    '{"level":"warn","a":{"b":[1]},"items":["i"],"x.y":null}',
    'level=info msg="hello world"',
    'level="broken',
    "2024-05-01T10:00:00Z stdout F inner line 1",
    '2024-05-01T10:00:00.5+02:00 stderr F {"msg":"2024-05-01T10:00:00Z"}',
    '{"log":"docker line\\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}',
    "drop me",
    "",
    "\u0000\uffff",
  ),
);

const entryArb = fc.record({
  line,
  app: fc.constantFrom("a", "b"),
  ts: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  dt: fc.integer({ min: 0, max: 5000 }),
});

describe("pipeline properties", () => {
  it("never throws and never loses a line except through a counted drop", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...STAGES), { maxLength: 8 }),
        fc.array(entryArb, { maxLength: 30 }),
        (stages, inputs) => {
          const p = compilePipeline(stages);
          let now = 1_714_557_600_000;
          let out = 0;
          for (const i of inputs) {
            now += i.dt;
            const e = newEntry(i.line, i.ts, new Map([["app", i.app]]));
            out += p.process(e, now).length;
            out += p.flush(now).length;
          }
          out += p.flush(now, true).length;
          let dropped = 0;
          for (const n of p.dropped.values()) dropped += n;
          expect(out + dropped).toBe(inputs.length);
        },
      ),
      { numRuns: 400, seed: 42 },
    );
  });

  it("multiline keeps every line, in order, per stream", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            text: fc.oneof(
              fc.constantFrom("START a", "START b", "  at x", "Caused by: y"),
              fc.stringMatching(/^[^\n]*$/),
            ),
            stream: fc.constantFrom("s1", "s2", "s3"),
            dt: fc.integer({ min: 0, max: 2000 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 5 }),
        (inputs, maxLines) => {
          const p = compilePipeline([
            { multiline: { firstline: "^START", max_lines: maxLines, max_wait_time: "1s" } },
          ]);
          let now = 0;
          const outs: Entry[] = [];
          for (const i of inputs) {
            now += i.dt;
            outs.push(...p.flush(now));
            outs.push(...p.process(newEntry(i.text, 1n, new Map([["s", i.stream]])), now));
          }
          outs.push(...p.flush(now, true));
          for (const s of ["s1", "s2", "s3"]) {
            const sent = inputs.filter((i) => i.stream === s).map((i) => i.text);
            const got = outs.filter((e) => e.labels.get("s") === s).flatMap((e) => e.line.split("\n"));
            expect(got).toEqual(sent);
          }
          for (const e of outs) expect(e.line.split("\n").length).toBeLessThanOrEqual(maxLines);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
