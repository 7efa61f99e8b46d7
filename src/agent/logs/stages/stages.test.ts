import { describe, expect, it } from "vitest";
import { compilePipeline } from "./compile.js";
import { type Entry, newEntry } from "./entry.js";

interface Input {
  line: string;
  labels?: Record<string, string>;
  extracted?: Record<string, unknown>;
  tsNs?: bigint;
}

interface Expected {
  line?: string;
  labels?: Record<string, string>;
  extracted?: Record<string, unknown>;
  metadata?: Record<string, string>;
  tsNs?: bigint;
  /** The entry is dropped with this reason. */
  dropped?: string;
}

interface Case {
  name: string;
  stages: unknown[];
  input: Input;
  now?: number;
  want: Expected;
}

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0); // 2024-05-01T12:00:00Z
const T0 = 1_700_000_000_000_000_000n;

function entryOf(i: Input): Entry {
  const e = newEntry(i.line, i.tsNs ?? T0, new Map(Object.entries(i.labels ?? { job: "x" })));
  for (const [k, v] of Object.entries(i.extracted ?? {})) e.extracted.set(k, v);
  return e;
}

const cases: Case[] = [
  // cri
  {
    name: "cri: full line",
    stages: [{ cri: {} }],
    input: { line: "2024-05-01T10:00:00.123456789Z stderr F boom happened" },
    want: {
      line: "boom happened",
      labels: { job: "x", stream: "stderr" },
      tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 123_456_789n,
      extracted: { flags: "F", stream: "stderr", content: "boom happened" },
    },
  },
  {
    name: "cri: offset time and empty content",
    stages: [{ cri: null }],
    input: { line: "2024-05-01T12:00:00+02:00 stdout F" },
    want: { line: "", tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n },
  },
  {
    name: "cri: malformed line kept with log_error",
    stages: [{ cri: {} }],
    input: { line: "not a cri line" },
    want: { line: "not a cri line", labels: { job: "x", log_error: "cri" }, tsNs: T0 },
  },
  {
    name: "cri: bad stream kept",
    stages: [{ cri: {} }],
    input: { line: "2024-05-01T10:00:00Z stdin F hi" },
    want: { line: "2024-05-01T10:00:00Z stdin F hi", labels: { job: "x", log_error: "cri" } },
  },
  // docker
  {
    name: "docker: json-file record",
    stages: [{ docker: {} }],
    input: { line: '{"log":"hello world\\n","stream":"stdout","time":"2024-05-01T10:00:00.5Z"}' },
    want: {
      line: "hello world",
      labels: { job: "x", stream: "stdout" },
      tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 500_000_000n,
    },
  },
  {
    name: "docker: malformed kept",
    stages: [{ docker: {} }],
    input: { line: '{"log":"x"}' },
    want: { line: '{"log":"x"}', labels: { job: "x", log_error: "docker" } },
  },
  // json
  {
    name: "json: fields, nested, quoted, index, objects as JSON",
    stages: [
      {
        json: {
          expressions: {
            level: "",
            user: "ctx.user",
            dotted: '"a.b"',
            first: "items[0]",
            last: "items[-1]",
            ctx: "ctx",
            n: "num",
            ok: "flag",
            missing: "nope.deeper",
          },
        },
      },
    ],
    input: {
      line: '{"level":"warn","ctx":{"user":"ann"},"a.b":"dot","items":[1,2,3],"num":1.5,"flag":true}',
    },
    want: {
      extracted: {
        level: "warn",
        user: "ann",
        dotted: "dot",
        first: 1,
        last: 3,
        ctx: '{"user":"ann"}',
        n: 1.5,
        ok: true,
      },
      labels: { job: "x" },
    },
  },
  {
    name: "json: source from extracted",
    stages: [{ json: { expressions: { inner: "" }, source: "payload" } }],
    input: { line: "raw", extracted: { payload: '{"inner":"v"}' } },
    want: { line: "raw", extracted: { inner: "v" } },
  },
  {
    name: "json: malformed kept with log_error",
    stages: [{ json: { expressions: { a: "" } } }],
    input: { line: "level=info not json" },
    want: { line: "level=info not json", labels: { job: "x", log_error: "json" } },
  },
  {
    name: "json: drop_malformed drops",
    stages: [{ json: { expressions: { a: "" }, drop_malformed: true } }],
    input: { line: "{broken" },
    want: { dropped: "malformed_json" },
  },
  {
    name: "json: a JSON array is not an object",
    stages: [{ json: { expressions: { a: "" } } }],
    input: { line: "[1,2]" },
    want: { labels: { job: "x", log_error: "json" } },
  },
  // logfmt
  {
    name: "logfmt: mapping with rename and quoting",
    stages: [{ logfmt: { mapping: { level: "", message: "msg" } } }],
    input: { line: 'level=error msg="disk full" dur=3s' },
    want: { extracted: { level: "error", message: "disk full" }, labels: { job: "x" } },
  },
  {
    name: "logfmt: malformed kept with log_error",
    stages: [{ logfmt: { mapping: { level: "" } } }],
    input: { line: 'level="unterminated' },
    want: { line: 'level="unterminated', labels: { job: "x", log_error: "logfmt" } },
  },
  // regex
  {
    name: "regex: named groups (RE2 syntax)",
    stages: [{ regex: { expression: "^(?P<ip>\\S+) (?P<method>[A-Z]+) (?P<path>/\\S*)(?: (?P<opt>x))?" } }],
    input: { line: "10.0.0.1 GET /api/v1 200" },
    want: { extracted: { ip: "10.0.0.1", method: "GET", path: "/api/v1" }, labels: { job: "x" } },
  },
  {
    name: "regex: no match is not an error",
    stages: [{ regex: { expression: "^(?P<n>\\d+)$" } }],
    input: { line: "abc" },
    want: { line: "abc", labels: { job: "x" }, extracted: {} },
  },
  {
    name: "regex: source and case-insensitive flag",
    stages: [{ regex: { expression: "(?i)user=(?P<user>[a-z]+)", source: "msg" } }],
    input: { line: "l", extracted: { msg: "USER=Bob" } },
    want: { extracted: { user: "Bob" } },
  },
  // labels, static_labels, structured_metadata, labeldrop, labelallow
  {
    name: "labels: from extracted with renaming; absent and empty values skipped",
    stages: [{ labels: { level: "", svc: "service", none: "", empty: "e" } }],
    input: { line: "l", extracted: { level: "info", service: "api", e: "" } },
    want: { labels: { job: "x", level: "info", svc: "api" } },
  },
  {
    name: "labels: numbers become text",
    stages: [{ labels: { code: "" } }],
    input: { line: "l", extracted: { code: 404 } },
    want: { labels: { job: "x", code: "404" } },
  },
  {
    name: "static_labels",
    stages: [{ static_labels: { env: "prod", tier: 2 } }],
    input: { line: "l" },
    want: { labels: { job: "x", env: "prod", tier: "2" } },
  },
  {
    name: "structured_metadata",
    stages: [{ structured_metadata: { trace_id: "", user: "u" } }],
    input: { line: "l", extracted: { trace_id: "abc", u: "ann" } },
    want: { metadata: { trace_id: "abc", user: "ann" }, labels: { job: "x" } },
  },
  {
    name: "labeldrop",
    stages: [{ labeldrop: ["pod", "absent"] }],
    input: { line: "l", labels: { job: "x", pod: "p1", ns: "n" } },
    want: { labels: { job: "x", ns: "n" } },
  },
  {
    name: "labelallow",
    stages: [{ labelallow: ["ns"] }],
    input: { line: "l", labels: { job: "x", pod: "p1", ns: "n" } },
    want: { labels: { ns: "n" } },
  },
  // timestamp
  {
    name: "timestamp: RFC3339Nano",
    stages: [{ timestamp: { source: "t", format: "RFC3339Nano" } }],
    input: { line: "l", extracted: { t: "2024-05-01T10:00:00.000000001Z" } },
    want: { tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 1n },
  },
  {
    name: "timestamp: Unix with fraction",
    stages: [{ timestamp: { source: "t", format: "Unix" } }],
    input: { line: "l", extracted: { t: "1714557600.25" } },
    want: { tsNs: 1_714_557_600_250_000_000n },
  },
  {
    name: "timestamp: Unix as a JSON number",
    stages: [{ timestamp: { source: "t", format: "Unix" } }],
    input: { line: "l", extracted: { t: 1714557600 } },
    want: { tsNs: 1_714_557_600_000_000_000n },
  },
  {
    name: "timestamp: UnixMs / UnixUs / UnixNs",
    stages: [
      { timestamp: { source: "ms", format: "UnixMs" } },
      { template: { source: "ms_ok", template: "x" } },
    ],
    input: { line: "l", extracted: { ms: "1714557600123" } },
    want: { tsNs: 1_714_557_600_123_000_000n },
  },
  {
    name: "timestamp: UnixUs",
    stages: [{ timestamp: { source: "t", format: "UnixUs" } }],
    input: { line: "l", extracted: { t: "1714557600123456" } },
    want: { tsNs: 1_714_557_600_123_456_000n },
  },
  {
    name: "timestamp: UnixNs",
    stages: [{ timestamp: { source: "t", format: "UnixNs" } }],
    input: { line: "l", extracted: { t: "1714557600123456789" } },
    want: { tsNs: 1_714_557_600_123_456_789n },
  },
  {
    name: "timestamp: Go layout with milliseconds, UTC",
    stages: [{ timestamp: { source: "t", format: "2006-01-02 15:04:05.000" } }],
    input: { line: "l", extracted: { t: "2024-05-01 10:00:00.042" } },
    want: { tsNs: BigInt(Date.UTC(2024, 4, 1, 10, 0, 0, 42)) * 1_000_000n },
  },
  {
    name: "timestamp: Go layout in a fixed-offset location",
    stages: [{ timestamp: { source: "t", format: "2006-01-02 15:04:05", location: "+02:00" } }],
    input: { line: "l", extracted: { t: "2024-05-01 12:00:00" } },
    want: { tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n },
  },
  {
    name: "timestamp: IANA location",
    stages: [{ timestamp: { source: "t", format: "2006-01-02 15:04:05", location: "America/New_York" } }],
    input: { line: "l", extracted: { t: "2024-05-01 06:00:00" } },
    want: { tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n },
  },
  {
    name: "timestamp: fallback format used",
    stages: [{ timestamp: { source: "t", format: "RFC3339", fallback_formats: ["UnixMs"] } }],
    input: { line: "l", extracted: { t: "1714557600000" } },
    want: { tsNs: 1_714_557_600_000_000_000n },
  },
  {
    name: "timestamp: year-less Stamp takes the current year",
    stages: [{ timestamp: { source: "t", format: "Stamp" } }],
    input: { line: "l", extracted: { t: "May  1 10:00:00" } },
    want: { tsNs: BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n },
  },
  {
    name: "timestamp: year-less December line read in January is last year",
    stages: [{ timestamp: { source: "t", format: "Stamp" } }],
    now: Date.UTC(2025, 0, 1, 0, 5),
    input: { line: "l", extracted: { t: "Dec 31 23:59:00" } },
    want: { tsNs: BigInt(Date.UTC(2024, 11, 31, 23, 59)) * 1_000_000n },
  },
  {
    name: "timestamp: skip leaves the time on failure",
    stages: [{ timestamp: { source: "t", format: "RFC3339", action_on_failure: "skip" } }],
    input: { line: "l", extracted: { t: "yesterday" } },
    want: { tsNs: T0, labels: { job: "x" } },
  },
  {
    name: "timestamp: absent source changes nothing",
    stages: [{ timestamp: { source: "t", format: "RFC3339" } }],
    input: { line: "l" },
    want: { tsNs: T0 },
  },
  // output
  {
    name: "output: line from extracted",
    stages: [{ output: { source: "msg" } }],
    input: { line: "orig", extracted: { msg: "new line" } },
    want: { line: "new line" },
  },
  {
    name: "output: absent source keeps the line",
    stages: [{ output: { source: "msg" } }],
    input: { line: "orig" },
    want: { line: "orig" },
  },
  // replace
  {
    name: "replace: mask groups in the line",
    stages: [{ replace: { expression: "password=(\\S+)", replace: "****" } }],
    input: { line: "user=a password=secret1 x password=p2" },
    want: { line: "user=a password=**** x password=****" },
  },
  {
    name: "replace: template with .Value, named group extracted",
    stages: [{ replace: { expression: "id=(?P<id>\\d+)", replace: "{{ .Value }}-{{ .Value }}" } }],
    input: { line: "id=42 done" },
    want: { line: "id=42-42 done", extracted: { id: "42" } },
  },
  {
    name: "replace: empty replace removes, source written back",
    stages: [{ replace: { expression: "(\\s+)", source: "msg" } }],
    input: { line: "l", extracted: { msg: "a b  c" } },
    want: { line: "l", extracted: { msg: "abc" } },
  },
  {
    name: "replace: no groups replaces whole matches",
    stages: [{ replace: { expression: "\\d", replace: "#" } }],
    input: { line: "a1b22" },
    want: { line: "a#b##" },
  },
  // template
  {
    name: "template: ToUpper of .Value",
    stages: [{ template: { source: "level", template: "{{ ToUpper .Value }}" } }],
    input: { line: "l", extracted: { level: "warn" } },
    want: { extracted: { level: "WARN" } },
  },
  {
    name: "template: new value from other extracted fields",
    stages: [{ template: { source: "both", template: '{{ .app }}/{{ .level | default "none" }}' } }],
    input: { line: "l", extracted: { app: "api", level: "" } },
    want: { extracted: { both: "api/none" } },
  },
  // drop
  {
    name: "drop: expression on the line",
    stages: [{ drop: { expression: "healthz" } }],
    input: { line: "GET /healthz 200" },
    want: { dropped: "drop_stage" },
  },
  {
    name: "drop: expression not matching keeps",
    stages: [{ drop: { expression: "healthz" } }],
    input: { line: "GET /api 200" },
    want: { line: "GET /api 200" },
  },
  {
    name: "drop: source value, custom reason",
    stages: [{ drop: { source: "level", value: "debug", drop_counter_reason: "debug_noise" } }],
    input: { line: "l", extracted: { level: "debug" } },
    want: { dropped: "debug_noise" },
  },
  {
    name: "drop: source list joined with separator",
    stages: [{ drop: { source: ["a", "b"], separator: "|", value: "1|2" } }],
    input: { line: "l", extracted: { a: "1", b: 2 } },
    want: { dropped: "drop_stage" },
  },
  {
    name: "drop: absent source keeps",
    stages: [{ drop: { source: "level", value: "debug" } }],
    input: { line: "l" },
    want: { line: "l" },
  },
  {
    name: "drop: older_than",
    stages: [{ drop: { older_than: "1h" } }],
    input: { line: "l", tsNs: BigInt(NOW - 2 * 3600_000) * 1_000_000n },
    want: { dropped: "drop_stage" },
  },
  {
    name: "drop: older_than keeps recent lines",
    stages: [{ drop: { older_than: "1h" } }],
    input: { line: "l", tsNs: BigInt(NOW - 60_000) * 1_000_000n },
    want: { line: "l" },
  },
  {
    name: "drop: longer_than counts UTF-8 bytes",
    stages: [{ drop: { longer_than: "8B" } }],
    input: { line: "ééééé" }, // 5 characters, 10 bytes
    want: { dropped: "drop_stage" },
  },
  {
    name: "drop: longer_than keeps short lines",
    stages: [{ drop: { longer_than: 8 } }],
    input: { line: "short" },
    want: { line: "short" },
  },
  {
    name: "drop: all conditions must hold",
    stages: [{ drop: { expression: "x", longer_than: 100 } }],
    input: { line: "x" },
    want: { line: "x" },
  },
  // parser failure continues to later stages
  {
    name: "failure: malformed json still gets static labels and keeps the first error",
    stages: [
      { json: { expressions: { a: "" } } },
      { logfmt: { mapping: { b: "" } } },
      { static_labels: { s: "1" } },
    ],
    input: { line: '"oops' },
    want: { line: '"oops', labels: { job: "x", log_error: "json", s: "1" } },
  },
  {
    name: "typical Kubernetes pipeline: cri, json, labels, timestamp, output",
    stages: [
      { cri: {} },
      { json: { expressions: { level: "", msg: "", ts: "" } } },
      { labels: { level: "" } },
      { timestamp: { source: "ts", format: "RFC3339" } },
      { output: { source: "msg" } },
    ],
    input: {
      line: '2024-05-01T10:00:00Z stdout F {"level":"info","msg":"started","ts":"2024-05-01T09:59:59Z"}',
    },
    want: {
      line: "started",
      labels: { job: "x", stream: "stdout", level: "info" },
      tsNs: BigInt(Date.UTC(2024, 4, 1, 9, 59, 59)) * 1_000_000n,
    },
  },
];

describe("pipeline stages", () => {
  it.each(cases)("$name", (c) => {
    const p = compilePipeline(c.stages);
    const out = p.process(entryOf(c.input), c.now ?? NOW);
    if (c.want.dropped !== undefined) {
      expect(out).toEqual([]);
      expect(Object.fromEntries(p.dropped)).toEqual({ [c.want.dropped]: 1 });
      return;
    }
    expect(out).toHaveLength(1);
    expect(p.dropped.size).toBe(0);
    const e = out[0]!;
    if (c.want.line !== undefined) expect(e.line).toBe(c.want.line);
    if (c.want.labels !== undefined) expect(Object.fromEntries(e.labels)).toEqual(c.want.labels);
    if (c.want.tsNs !== undefined) expect(e.tsNs).toBe(c.want.tsNs);
    if (c.want.metadata !== undefined) expect(Object.fromEntries(e.metadata)).toEqual(c.want.metadata);
    if (c.want.extracted !== undefined) {
      expect(Object.fromEntries(e.extracted)).toMatchObject(c.want.extracted);
      if (Object.keys(c.want.extracted).length === 0) expect(e.extracted.size).toBe(0);
    }
  });

  it("timestamp fudge: a bad time follows the stream's last good time by 1ns", () => {
    const p = compilePipeline([{ timestamp: { source: "t", format: "RFC3339" } }]);
    const good = entryOf({ line: "a", extracted: { t: "2024-05-01T10:00:00Z" } });
    const bad1 = entryOf({ line: "b", extracted: { t: "garbage" } });
    const bad2 = entryOf({ line: "c", extracted: { t: "garbage" } });
    const other = entryOf({ line: "d", labels: { job: "y" }, extracted: { t: "garbage" } });
    const base = BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n;
    expect(p.process(good, NOW)[0]!.tsNs).toBe(base);
    expect(p.process(bad1, NOW)[0]!.tsNs).toBe(base + 1n);
    expect(p.process(bad2, NOW)[0]!.tsNs).toBe(base + 2n);
    expect(p.process(other, NOW)[0]!.tsNs).toBe(T0); // no good time for this stream yet
  });

  it("cri: partial records are joined with the final one", () => {
    const p = compilePipeline([{ cri: {} }]);
    const at = (s: string) => entryOf({ line: s });
    expect(p.process(at("2024-05-01T10:00:00Z stdout P part one, "), NOW)).toEqual([]);
    expect(p.process(at("2024-05-01T10:00:01Z stderr F other stream"), NOW).map((e) => e.line)).toEqual([
      "other stream",
    ]);
    expect(p.process(at("2024-05-01T10:00:02Z stdout P part two, "), NOW)).toEqual([]);
    const out = p.process(at("2024-05-01T10:00:03Z stdout F end"), NOW);
    expect(out.map((e) => e.line)).toEqual(["part one, part two, end"]);
    expect(out[0]!.tsNs).toBe(BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n);
  });

  it("docker: records without a trailing newline are joined", () => {
    const p = compilePipeline([{ docker: {} }]);
    const rec = (log: string, stream = "stdout") =>
      entryOf({ line: JSON.stringify({ log, stream, time: "2024-05-01T10:00:00Z" }) });
    expect(p.process(rec("first half "), NOW)).toEqual([]);
    expect(p.process(rec("err\n", "stderr"), NOW).map((e) => e.line)).toEqual(["err"]);
    const out = p.process(rec("second half\n"), NOW);
    expect(out.map((e) => [e.line, e.extracted.get("log"), e.labels.get("stream")])).toEqual([
      ["first half second half", "first half second half", "stdout"],
    ]);
  });

  it("cri: max_partial_line_size with truncate cuts the joined line", () => {
    const p = compilePipeline([{ cri: { max_partial_line_size: 5, max_partial_line_size_truncate: true } }]);
    const at = (s: string) => entryOf({ line: s });
    expect(p.process(at("2024-05-01T10:00:00Z stdout P abcd"), NOW)).toEqual([]);
    expect(p.process(at("2024-05-01T10:00:00Z stdout F efgh"), NOW).map((e) => e.line)).toEqual(["abcde"]);
  });

  it("cri: partials are released by max_partial_lines and by flush", () => {
    const p = compilePipeline([{ cri: { max_partial_lines: 2 } }]);
    const at = (s: string) => entryOf({ line: s });
    expect(p.process(at("2024-05-01T10:00:00Z stdout P a"), NOW)).toEqual([]);
    expect(p.process(at("2024-05-01T10:00:00Z stdout P b"), NOW).map((e) => e.line)).toEqual(["ab"]);
    expect(p.process(at("2024-05-01T10:00:00Z stdout P c"), NOW)).toEqual([]);
    expect(p.flush(NOW + 1000)).toEqual([]);
    expect(p.flush(NOW + 3000).map((e) => e.line)).toEqual(["c"]);
  });
});
