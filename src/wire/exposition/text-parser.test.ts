import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import type { Exposition, MetricMetadata } from "../../model/sample.js";
import { WireError } from "../errors.js";
import { parseTextExposition } from "./text-parser.js";

/** Samples as `[labels as text, value, timestamp?]`, for compact tables. */
type Row = [string, number] | [string, number, number];

function rows(e: Exposition): Row[] {
  return e.samples.map((s) => {
    const name = s.labels.get("__name__");
    const rest = Object.entries(s.labels.toRecord())
      .filter(([k]) => k !== "__name__")
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",");
    const key = rest === "" ? name : `${name}{${rest}}`;
    return s.timestamp === undefined ? [key, s.value] : [key, s.value, s.timestamp];
  });
}

const md = (name: string, type: MetricMetadata["type"], help = "", unit = ""): MetricMetadata => ({
  name,
  type,
  help,
  unit,
});

interface Case {
  name: string;
  openMetrics: boolean;
  text: string;
  samples: Row[];
  metadata?: MetricMetadata[];
}

const cases: Case[] = [
  {
    name: "node-exporter style output",
    openMetrics: false,
    text: `# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 2.35532174e+06
node_cpu_seconds_total{cpu="0",mode="iowait"} 1418.84
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.21
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4.2123264e+10
# HELP go_info Information about the Go environment.
# TYPE go_info gauge
go_info{version="go1.21.4"} 1
`,
    samples: [
      ['node_cpu_seconds_total{cpu="0",mode="idle"}', 2355321.74],
      ['node_cpu_seconds_total{cpu="0",mode="iowait"}', 1418.84],
      ["node_load1", 0.21],
      ['node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"}', 42123264000],
      ['go_info{version="go1.21.4"}', 1],
    ],
    metadata: [
      md("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode."),
      md("node_load1", "gauge", "1m load average."),
      md("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes."),
      md("go_info", "gauge", "Information about the Go environment."),
    ],
  },
  {
    name: "histogram and summary families",
    openMetrics: false,
    text: `# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} NaN
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`,
    samples: [
      ['http_request_duration_seconds_bucket{le="0.05"}', 24054],
      ['http_request_duration_seconds_bucket{le="0.1"}', 33444],
      ['http_request_duration_seconds_bucket{le="+Inf"}', 144320],
      ["http_request_duration_seconds_sum", 53423],
      ["http_request_duration_seconds_count", 144320],
      ['rpc_duration_seconds{quantile="0.5"}', 4773],
      ['rpc_duration_seconds{quantile="0.99"}', Number.NaN],
      ["rpc_duration_seconds_sum", 17560473],
      ["rpc_duration_seconds_count", 2693],
    ],
    metadata: [
      md("http_request_duration_seconds", "histogram", "Request latency."),
      md("rpc_duration_seconds", "summary"),
    ],
  },
  {
    name: "escapes in label values and HELP",
    openMetrics: false,
    text: `# HELP msdos_file_access_time_seconds Path with \\\\ and a\\nnewline; \\" stays.
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
weird{v="tab\\tkept"} 1
`,
    samples: [
      [
        'msdos_file_access_time_seconds{error="Cannot find file:\\n\\"FILE.TXT\\"",path="C:\\\\DIR\\\\FILE.TXT"}',
        1458255915,
      ],
      ['weird{v="tab\\\\tkept"}', 1],
    ],
    metadata: [md("msdos_file_access_time_seconds", "unknown", 'Path with \\ and a\nnewline; \\" stays.')],
  },
  {
    name: "special values and exponents",
    openMetrics: false,
    text: `a NaN
b +Inf
c -Inf
d 1e-3
e -1.5E+10
f +7
g .5
`,
    samples: [
      ["a", Number.NaN],
      ["b", Number.POSITIVE_INFINITY],
      ["c", Number.NEGATIVE_INFINITY],
      ["d", 0.001],
      ["e", -15000000000],
      ["f", 7],
      ["g", 0.5],
    ],
  },
  {
    name: "timestamps in milliseconds, blank lines, comments, CRLF, tabs, untyped",
    openMetrics: false,
    text: '# a free comment\r\n\r\n  \n# TYPE old untyped\nold 1 1395066363000\r\nneg\t2\t-5\nspaced{ a = "1" , } 3 \n\n',
    samples: [
      ["old", 1, 1395066363000],
      ["neg", 2, -5],
      ['spaced{a="1"}', 3],
    ],
    metadata: [md("old", "unknown")],
  },
  {
    name: "labels out of order, empty values dropped, no value after brace blank",
    openMetrics: false,
    text: `m{z="1",a="2",B="3"} 1
m{a="",b="x"}2
m{} 3
`,
    samples: [
      ['m{B="3",a="2",z="1"}', 1],
      ['m{b="x"}', 2],
      ["m", 3],
    ],
  },
  {
    name: "UTF-8 quoted names",
    openMetrics: false,
    text: `# HELP "my.metric" Dotted.
# TYPE "my.metric" gauge
{"my.metric", "label.with.dots"="v", le="1"} 1
{__name__="plain"} 2
{"héllo"} 3
`,
    samples: [
      ['my.metric{label.with.dots="v",le="1"}', 1],
      ["plain", 2],
      ["héllo", 3],
    ],
    metadata: [md("my.metric", "gauge", "Dotted.")],
  },
  {
    name: "OpenMetrics counter, timestamps in seconds, exemplars, units, EOF",
    openMetrics: true,
    text: `# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE foo counter
# HELP foo A \\"quoted\\" help.
foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
foo_created 1520872607.123
# TYPE hist histogram
hist_bucket{le="0.5"} 3 # {trace_id="x"} 0.4 1520879607.789
hist_bucket{le="+Inf"} 4
# TYPE build info
build_info{version="1.2"} 1
# EOF
`,
    samples: [
      ['acme_http_router_request_seconds_sum{method="GET",path="/api/v1"}', 9036.32],
      ['acme_http_router_request_seconds_count{method="GET",path="/api/v1"}', 807283],
      ['acme_http_router_request_seconds_created{method="GET",path="/api/v1"}', 1605281325],
      ["foo_total", 17, 1520879607789],
      ["foo_created", 1520872607.123],
      ['hist_bucket{le="0.5"}', 3],
      ['hist_bucket{le="+Inf"}', 4],
      ['build_info{version="1.2"}', 1],
    ],
    metadata: [
      md(
        "acme_http_router_request_seconds",
        "summary",
        "Latency though all of ACME's HTTP request router.",
        "seconds",
      ),
      md("foo", "counter", 'A "quoted" help.'),
      md("hist", "histogram"),
      md("build", "info"),
    ],
  },
  {
    name: "OpenMetrics EOF without trailing newline, negative and fractional timestamps",
    openMetrics: true,
    text: "a 1 -1.5\nb 2 0.0004\nc 3 1.0005\n# EOF",
    samples: [
      ["a", 1, -1500],
      ["b", 2, 0],
      ["c", 3, 1001],
    ],
  },
  {
    name: "empty exposition",
    openMetrics: false,
    text: "",
    samples: [],
  },
  {
    name: "text format ignores # EOF and # UNIT as comments",
    openMetrics: false,
    text: "# UNIT x seconds\nx 1\n# EOF\n",
    samples: [["x", 1]],
  },
];

describe("parseTextExposition", () => {
  it.each(cases)("$name", (c) => {
    const got = parseTextExposition(c.text, { openMetrics: c.openMetrics });
    expect(rows(got)).toEqual(c.samples);
    expect(got.metadata).toEqual(c.metadata ?? []);
  });

  it("gives full label sets that equal ones built directly", () => {
    const [s] = parseTextExposition('up{job="api",instance="a:9100"} 1\n', { openMetrics: false }).samples;
    expect(s!.labels.equals(Labels.fromRecord({ __name__: "up", job: "api", instance: "a:9100" }))).toBe(
      true,
    );
    expect(s).not.toHaveProperty("timestamp");
  });

  it("sorts many labels written in any order", () => {
    const names = Array.from({ length: 50 }, (_, i) => `l${String(i).padStart(2, "0")}`);
    const line = `many{${[...names]
      .reverse()
      .map((n) => `${n}="${n}"`)
      .join(",")}} 1\n`;
    const [s] = parseTextExposition(line, { openMetrics: false }).samples;
    expect(s!.labels.equals(Labels.fromPairs(["__name__", "many", ...names.flatMap((n) => [n, n])]))).toBe(
      true,
    );
  });

  it("keeps the last HELP and TYPE of a family", () => {
    const got = parseTextExposition("# HELP a one\n# HELP a two\n# TYPE a gauge\n# TYPE a counter\n", {
      openMetrics: false,
    });
    expect(got.metadata).toEqual([md("a", "counter", "two")]);
  });

  const errors: [string, boolean, string, string][] = [
    ["value missing", false, "ok 1\nfoo\n", 'line 2: expected a value after "foo"'],
    ["value not a number", false, "foo bar\n", 'line 1: expected a number as value, found "bar"'],
    ["hex value", false, "foo 0x10\n", 'expected a number as value, found "0x10"'],
    [
      "bad character in name",
      false,
      "foo-bar 1\n",
      'line 1: expected "{" or a blank after metric name "foo", found "-"',
    ],
    ["name starts with a digit", false, "\n\n1foo 1\n", 'line 3: expected a metric name or "{", found "1"'],
    ["no name", false, '{a="b"} 1\n', "line 1: expected a metric name before or inside the braces"],
    ["missing =", false, 'foo{a "b"} 1\n', 'line 1: expected "=" after label name "a", found """'],
    ["unquoted label value", false, "foo{a=b} 1\n", 'expected a quoted value for label "a", found "b"'],
    [
      "unterminated label value",
      false,
      'foo{a="b} 1\n',
      "line 1: unterminated quoted string starting at column 7",
    ],
    [
      "missing comma",
      false,
      'foo{a="1" b="2"} 1\n',
      'expected "," or "}" after the value of label "a", found "b"',
    ],
    [
      "unclosed braces",
      false,
      'foo{a="1"\n',
      'expected "," or "}" after the value of label "a", found end of line',
    ],
    ["label name with colon", false, 'foo{a:b="1"} 1\n', 'expected "=" after label name "a", found ":"'],
    ["label starting with colon", false, 'foo{:a="1"} 1\n', 'expected a label name or "}", found ":"'],
    ["repeated label", false, 'foo{b="1",a="2",b="3"} 1\n', 'line 1: label "b" appears twice'],
    ["repeated label, one value empty", false, 'foo{a="",a="1"} 1\n', 'label "a" appears twice'],
    [
      "repeated label among many",
      false,
      `foo{${Array.from({ length: 40 }, (_, i) => `l${i}="v"`).join(",")},l7="again"} 1\n`,
      'label "l7" appears twice',
    ],
    ["name twice", false, 'foo{__name__="bar"} 1\n', 'metric name given twice ("bar")'],
    ["empty quoted name", false, '{""} 1\n', "empty metric name"],
    [
      "float timestamp in text format",
      false,
      "foo 1 1.5\n",
      'expected an integer timestamp in milliseconds, found "1.5"',
    ],
    [
      "garbage after timestamp",
      false,
      "foo 1 2 3\n",
      'line 1: expected end of line after the timestamp, found "3"',
    ],
    [
      "exemplar in text format",
      false,
      'foo 1 # {a="b"} 1\n',
      'expected an integer timestamp in milliseconds, found "#"',
    ],
    ["unknown type", false, "# TYPE foo bar\n", 'line 1: unknown metric type "bar"'],
    ["TYPE without type", false, "# TYPE foo\n", 'expected a metric type after "# TYPE foo"'],
    ["HELP without name", false, "# HELP\n", 'expected metric name after "# HELP", found end of line'],
    ["control character", false, "foo\u0001 1\n", "found character U+0001"],
    ["OpenMetrics without EOF", true, "foo 1\n", 'line 1: expected "# EOF" as the last line'],
    ["OpenMetrics content after EOF", true, "foo 1\n# EOF\nbar 2\n", 'line 3: nothing may follow "# EOF"'],
    ["OpenMetrics untyped", true, "# TYPE foo untyped\n# EOF\n", 'unknown metric type "untyped"'],
    [
      "OpenMetrics bad timestamp",
      true,
      "foo 1 NaN\n# EOF\n",
      'expected a timestamp in seconds or "#", found "NaN"',
    ],
  ];
  it.each(errors)("%s", (_name, openMetrics, text, message) => {
    let err: unknown;
    try {
      parseTextExposition(text, { openMetrics });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("parse");
    expect((err as WireError).message).toContain(message);
    expect((err as WireError).message).toMatch(/^(OpenMetrics|text exposition) line \d+: /);
  });
});

// Property: random samples formatted into either format parse back to the same samples.

const nameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
const metricName = fc
  .tuple(
    fc.constantFrom(..."abcxyzABC_:"),
    fc.string({ unit: fc.constantFrom(...`${nameChars}:`), maxLength: 12 }),
  )
  .map(([a, b]) => a + b);
const labelName = fc
  .tuple(fc.constantFrom(..."abcxyzABC_"), fc.string({ unit: fc.constantFrom(...nameChars), maxLength: 8 }))
  .map(([a, b]) => a + b)
  .filter((n) => n !== "__name__");
const labelValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: fc.constantFrom("a", "\\", '"', "\n", " ", ",", "}", "#", "é"), maxLength: 8 }),
);
const sampleValue = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0),
);

interface GenSample {
  name: string;
  labels: [string, string][];
  value: number;
  timestamp?: number;
}

const genSample = (timestamp: fc.Arbitrary<number>): fc.Arbitrary<GenSample> =>
  fc.record(
    {
      name: metricName,
      labels: fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 5, selector: ([n]) => n }),
      value: sampleValue,
      timestamp,
    },
    { requiredKeys: ["name", "labels", "value"] },
  );

const escapeValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const formatValue = (v: number) =>
  Number.isNaN(v)
    ? "NaN"
    : v === Number.POSITIVE_INFINITY
      ? "+Inf"
      : v === Number.NEGATIVE_INFINITY
        ? "-Inf"
        : Object.is(v, -0)
          ? "-0"
          : String(v);

function format(samples: GenSample[], openMetrics: boolean): string {
  let out = "";
  for (const s of samples) {
    const labels = s.labels.map(([n, v]) => `${n}="${escapeValue(v)}"`).join(",");
    out += labels === "" ? s.name : `${s.name}{${labels}}`;
    out += ` ${formatValue(s.value)}`;
    if (s.timestamp !== undefined)
      out += ` ${openMetrics ? String(s.timestamp / 1000) : String(s.timestamp)}`;
    out += "\n";
  }
  return openMetrics ? `${out}# EOF\n` : out;
}

describe("parseTextExposition properties", () => {
  it.each([
    ["text format", false, fc.maxSafeInteger()],
    // Float seconds are exact to the millisecond only within about ±2^43 ms.
    ["OpenMetrics", true, fc.integer({ min: -(2 ** 43), max: 2 ** 43 })],
  ] as const)("parses formatted %s samples back", (_name, openMetrics, timestamp) => {
    fc.assert(
      fc.property(fc.array(genSample(timestamp), { maxLength: 10 }), (samples) => {
        const got = parseTextExposition(format(samples, openMetrics), { openMetrics }).samples;
        expect(got).toHaveLength(samples.length);
        samples.forEach((want, i) => {
          const s = got[i]!;
          const labels = Labels.fromPairs(["__name__", want.name, ...want.labels.flat()]);
          expect(s.labels.pairs).toEqual(labels.pairs);
          expect(Object.is(s.value, want.value)).toBe(true);
          expect(s.timestamp).toBe(want.timestamp);
        });
      }),
      { numRuns: 300 },
    );
  });

  it.each([false, true])("parses arbitrary text or throws WireError (openMetrics: %s)", (openMetrics) => {
    const alphabet = fc.constantFrom(
      ...'ab_:{}=",# \t\n\\019.eE+-InfNa',
      "# HELP ",
      "# TYPE ",
      "# EOF\n",
      "é",
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 })), (text) => {
        try {
          parseTextExposition(text, { openMetrics });
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
