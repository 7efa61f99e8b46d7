import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { type LogQueryExpr, parseLogQL } from "../logql/index.js";
import { LineLabels } from "./line-labels.js";
import { compilePipeline, type PipelineDeps } from "./pipeline.js";
import type { CompileTemplate, TemplateData } from "./template.js";

/** A stand-in template engine for the plumbing: `{{.name}}` and `{{__line__}}` only; `{{fail}}` throws. */
const fakeTemplate: CompileTemplate = (text) => {
  if (text.includes("{{bad")) throw new Error(`template: bad syntax in ${text}`);
  return (d: TemplateData) => {
    if (text.includes("{{fail}}")) throw new Error("template: fail called");
    return text
      .replace(/\{\{__line__\}\}/g, d.line)
      .replace(/\{\{__timestamp__\}\}/g, String(d.tsNs))
      .replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, n: string) => d.labels[n] ?? "");
  };
};
const deps: PipelineDeps = { compileTemplate: fakeTemplate };

const STREAM = { app: "api", level: "info" };

function run(
  pipeline: string,
  line: string,
  stream: Record<string, string> = STREAM,
  metadata?: Record<string, string>,
): { line: string; labels: Record<string, string> } | undefined {
  const q = parseLogQL(`{app="api"} ${pipeline}`) as LogQueryExpr;
  const p = compilePipeline(q.pipeline, deps);
  const r = p.process(1_700_000_000_000_000_000n, line, new LineLabels(Labels.fromRecord(stream), metadata));
  return r === undefined ? undefined : { line: r.line, labels: r.labels.toRecord() };
}

/** Whether the line passes. */
function passes(pipeline: string, line: string): boolean {
  return run(pipeline, line) !== undefined;
}

describe("line filters", () => {
  const cases: [string, string, boolean][] = [
    ['|= "error"', "level=error msg=boom", true],
    ['|= "error"', "level=info msg=ok", false],
    ['|= ""', "anything", true],
    ['!= "timeout"', "request timeout after 5s", false],
    ['!= "timeout"', "request done", true],
    ["|~ `status=5\\d\\d`", "GET / status=503", true],
    ["|~ `status=5\\d\\d`", "GET / status=404", false],
    ['|~ "(?i)error"', "An ERROR happened", true],
    ['|~ "(?i)err.r"', "An ERROR happened", true],
    ['|~ "error"', "An ERROR happened", false],
    ['!~ "debug|trace"', "level=trace", false],
    ['!~ "debug|trace"', "level=warn", true],
    ['|= "foo" or "bar"', "a bar b", true],
    ['|= "foo" or "bar"', "a baz b", false],
    ['!= "foo" or "bar"', "a bar b", false],
    ['!= "foo" or "bar"', "a baz b", true],
    ['|~ "a.c" or "x"', "abc", true],
    ['|= "GET" != "/health"', "GET /health 200", false],
    ['|= "GET" != "/health"', "GET /api 200", true],
    ['|> "<_> level=error <_>"', "ts=1 level=error msg=x", true],
    ['|> "<_> level=error <_>"', "ts=1 level=info msg=x", false],
    ['|> "GET <_>"', "GET /", true],
    ['|> "GET <_>"', "POST /", false],
    ['!> "<_> level=debug <_>"', "ts=1 level=debug msg=x", false],
    ['!> "<_> level=debug <_>"', "ts=1 level=info msg=x", true],
    ['|> "<_> 200" or "<_> 204"', "GET / 204", true],
    // As Loki's filter form: no empty capture, a final literal ends the line, a final capture is not empty.
    ['|> "<_> bar <_>"', " bar ", false],
    ['|> "<_>bar<_>"', " bar ", true],
    ['|> "<_> baz"', "foo bar baz", true],
    ['|> "<_> bar"', "foo bar baz", false],
    ['|> "foo <_>"', "foo ", false],
    ['|> "foo <_>"', "foo x", true],
  ];
  it.each(cases)("%s on %j → %s", (filter, line, want) => {
    expect(passes(filter, line)).toBe(want);
  });
});

describe("ip() line filters", () => {
  const nginx = (ip: string) =>
    `${ip} - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0`;
  const cases: [string, string, boolean][] = [
    ['|= ip("3.180.71.3")', nginx("3.180.71.3"), true],
    // A substring search would match here; an address comparison does not.
    ['|= ip("3.180.71.3")', nginx("93.180.71.3"), false],
    ['|= ip("192.168.0.1-192.189.10.12")', nginx("192.170.1.1"), true],
    ['|= ip("192.168.0.1-192.189.10.12")', nginx("192.190.0.1"), false],
    ['|= ip("192.51.100.0/24")', nginx("192.51.100.77"), true],
    ['|= ip("192.51.100.0/24")', nginx("192.51.101.77"), false],
    ['|= ip("2001:db8::/32")', "client 2001:db8:0:1::5 connected", true],
    ['|= ip("2001:db8::/32")', "client 2001:db9::5 connected", false],
    ['|= ip("::1")', "from ::1.", true],
    ['|= ip("2001:db8::1-2001:db8::8")', "peer 2001:db8::7", true],
    ['|= ip("10.0.0.0/8")', "peer ::ffff:a00:1", false],
    ['!= ip("10.0.0.0/8")', "peer 10.1.2.3", false],
    ['!= ip("10.0.0.0/8")', "peer 11.1.2.3", true],
    ['|= ip("10.0.0.1") or ip("10.0.0.2")', "peer 10.0.0.2", true],
  ];
  it.each(cases)("%s on %j → %s", (filter, line, want) => {
    expect(passes(filter, line)).toBe(want);
  });

  it("refuses invalid patterns at compile time", () => {
    expect(() => run('|= ip("300.1.1.1")', "x")).toThrow(/invalid IP/);
    expect(() => run('|= ip("10.0.0.0/33")', "x")).toThrow(/invalid CIDR/);
    expect(() => run('|= ip("10.0.0.9-10.0.0.1")', "x")).toThrow(/invalid IP range/);
  });
});

describe("json", () => {
  it("flattens nested objects with _, skips arrays and nulls, sanitises names", () => {
    const line = JSON.stringify({
      protocol: "HTTP/2.0",
      servers: ["129.0.1.1", "10.1.1.1"],
      request: { time: "6.032", method: "GET", headers: { "User-Agent": "curl/7.68.0", Accept: "*/*" } },
      response: { status: 401, size: "155 B", ok: false },
      gone: null,
      "1st": "x",
    });
    expect(run("| json", line)?.labels).toEqual({
      ...STREAM,
      protocol: "HTTP/2.0",
      request_time: "6.032",
      request_method: "GET",
      request_headers_User_Agent: "curl/7.68.0",
      request_headers_Accept: "*/*",
      response_status: "401",
      response_size: "155 B",
      response_ok: "false",
      _1st: "x",
    });
  });

  it("keeps numbers as written (large ids keep every digit) and accepts raw tabs in strings", () => {
    expect(run("| json", '{"id":12345678901234567890,"t":1.50,"e":1e3,"s":"a\tb"}')?.labels).toEqual({
      ...STREAM,
      id: "12345678901234567890",
      t: "1.50",
      e: "1e3",
      s: "a\tb",
    });
  });

  it("gives a field colliding with a stream label the _extracted suffix", () => {
    const r = run("| json", '{"level":"error","app":"other","msg":"m"}');
    expect(r?.labels).toEqual({
      app: "api",
      level: "info",
      level_extracted: "error",
      app_extracted: "other",
      msg: "m",
    });
    // A later filter sees the stream label under its own name and the parsed one suffixed.
    expect(run('| json | level_extracted="error"', '{"level":"error"}')).toBeDefined();
    expect(run('| json | level="error"', '{"level":"error"}')).toBeUndefined();
  });

  it("structured metadata is a label too, but not a stream label (no suffix on collision)", () => {
    const r = run("| json", '{"trace_id":"b"}', STREAM, { trace_id: "a" });
    expect(r?.labels.trace_id).toBe("b");
    expect(run('| trace_id="a"', "x", STREAM, { trace_id: "a" })).toBeDefined();
  });

  it("extracts parameter expressions", () => {
    const line = JSON.stringify({
      servers: ["129.0.1.1", "10.1.1.1"],
      request: { headers: { "User-Agent": "curl/7.68.0" }, method: "GET" },
      nested: { a: [1, { b: "c" }] },
    });
    const r = run(
      '| json first_server="servers[0]", ua=`request.headers["User-Agent"]`, method="request.method", deep="nested.a[1].b", whole="nested", missing="nope.x", servers',
      line,
    );
    expect(r?.labels).toEqual({
      ...STREAM,
      first_server: "129.0.1.1",
      ua: "curl/7.68.0",
      method: "GET",
      deep: "c",
      whole: '{"a":[1,{"b":"c"}]}',
      missing: "",
      servers: '["129.0.1.1","10.1.1.1"]',
    });
  });

  it("sets JSONParserErr on a line that is not a JSON object and keeps the line", () => {
    for (const line of ["not json", '{"a":', "[1,2]", "42", ""]) {
      const r = run("| json", line);
      expect(r?.line).toBe(line);
      expect(r?.labels.__error__).toBe("JSONParserErr");
      expect(r?.labels.__error_details__).not.toBe("");
      expect(run('| json | __error__=""', line)).toBeUndefined();
      expect(run('| json | __error__="JSONParserErr"', line)).toBeDefined();
      expect(run('| json a="b"', line)?.labels.__error__).toBe("JSONParserErr");
    }
    expect(run('| json | __error__=""', '{"a":1}')).toBeDefined();
  });

  it("refuses a malformed parameter expression at compile time", () => {
    expect(() => run('| json a="x[0"', "{}")).toThrow(/invalid JSON expression/);
    expect(() => run('| json a="x..y"', "{}")).toThrow(/invalid JSON expression/);
  });
});

describe("logfmt", () => {
  const line =
    'at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200 msg="a \\"quoted\\" word"';
  it("extracts every pair", () => {
    expect(run("| logfmt", line)?.labels).toEqual({
      ...STREAM,
      at: "info",
      method: "GET",
      path: "/",
      host: "grafana.net",
      fwd: "124.133.124.161",
      service: "8ms",
      status: "200",
      msg: 'a "quoted" word',
    });
  });

  it("extracts only the parameters, renamed", () => {
    expect(run('| logfmt host, code="status"', line)?.labels).toEqual({
      ...STREAM,
      host: "grafana.net",
      code: "200",
    });
  });

  it("collides with stream labels like every parser", () => {
    expect(run("| logfmt", "level=warn x=1")?.labels).toEqual({ ...STREAM, level_extracted: "warn", x: "1" });
  });

  it("skips empty values unless --keep-empty", () => {
    expect(run("| logfmt", "a= b=1 c")?.labels).toEqual({ ...STREAM, b: "1" });
    expect(run("| logfmt --keep-empty", "a= b=1 c")?.labels).toEqual({ ...STREAM, a: "", b: "1", c: "" });
  });

  it("skips malformed tokens unless --strict, which stops with LogfmtParserErr", () => {
    const bad = 'a=1 b="unterminated c=3';
    // The broken pair is skipped up to the next space and scanning goes on.
    expect(run("| logfmt", bad)?.labels).toEqual({ ...STREAM, a: "1", c: "3" });
    const strict = run("| logfmt --strict", bad);
    expect(strict?.line).toBe(bad);
    expect(strict?.labels.__error__).toBe("LogfmtParserErr");
    expect(strict?.labels.__error_details__).toMatch(/logfmt syntax error/);
    expect(strict?.labels.a).toBe("1");
    expect(run("| logfmt", "a=1 =x b=2")?.labels).toEqual({ ...STREAM, a: "1", b: "2" });
    expect(run("| logfmt --strict", "a=1 =x b=2")?.labels.__error__).toBe("LogfmtParserErr");
    expect(run("| logfmt", "a=1 b=x=y c=3")?.labels).toEqual({ ...STREAM, a: "1", c: "3" });
    expect(run('| logfmt --strict | __error__=""', "a=1 b=x=y")).toBeUndefined();
    expect(run('| logfmt --strict | __error__=""', "a=1 b=2")).toBeDefined();
  });

  it("decodes escapes and sanitises keys", () => {
    expect(run("| logfmt", 'k.v-x="line\\nnext\\u0041" 9=z')?.labels).toEqual({
      ...STREAM,
      k_v_x: "line\nnextA",
      _9: "z",
    });
  });
});

describe("regexp and pattern parsers", () => {
  it("regexp extracts named groups and leaves the labels alone when it does not match", () => {
    const q =
      '| regexp "(?P<method>\\\\w+) (?P<path>[\\\\w|/]+) \\\\((?P<status>\\\\d+?)\\\\) (?P<duration>.*)"';
    expect(run(q, "POST /api/prom/api/v1/query_range (200) 1.5s")?.labels).toEqual({
      ...STREAM,
      method: "POST",
      path: "/api/prom/api/v1/query_range",
      status: "200",
      duration: "1.5s",
    });
    expect(run(q, "no match")?.labels).toEqual(STREAM);
    expect(run('| regexp "(?P<level>\\\\w+):"', "error: x")?.labels.level_extracted).toBe("error");
  });

  it("regexp needs a named group", () => {
    expect(() => run('| regexp "(\\\\w+)"', "x")).toThrow(/named group/);
  });

  it("pattern captures by position and skips <_>", () => {
    const line =
      '0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" ""';
    const q = '| pattern `<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>`';
    expect(run(q, line)?.labels).toEqual({
      ...STREAM,
      ip: "0.191.12.2",
      method: "GET",
      uri: "/api/plugins/versioncheck",
      status: "200",
      size: "2",
      agent: "Go-http-client/2.0",
    });
    // As Loki's matcher: a capture whose next literal is missing takes the rest, and parsing stops.
    expect(run(q, "short line")?.labels).toEqual({ ...STREAM, ip: "short line" });
    expect(run(q, '1.2.3.4 - - [x] "GET /a')?.labels).toEqual({
      ...STREAM,
      ip: "1.2.3.4",
      method: "GET",
      uri: "/a",
    });
    // A leading literal must start the line.
    expect(run('| pattern "ts=<ts> <_>"', "x ts=1 y")?.labels).toEqual(STREAM);
    expect(run('| pattern "<level> <_>"', "warn x")?.labels.level_extracted).toBe("warn");
  });

  it("pattern refuses bad expressions", () => {
    expect(() => run('| pattern "<a><b>"', "x")).toThrow(/consecutive/);
    expect(() => run('| pattern "<a> <a>"', "x")).toThrow(/duplicate/);
    expect(() => run('| pattern "<_> x"', "x")).toThrow(/named capture/);
  });
});

describe("unpack", () => {
  it("makes _entry the line and the other string fields labels", () => {
    const r = run(
      "| unpack",
      JSON.stringify({ container: "myapp", pod: "p-1", n: 3, _entry: "original log line" }),
    );
    expect(r).toEqual({ line: "original log line", labels: { ...STREAM, container: "myapp", pod: "p-1" } });
  });
  it("parses the unpacked line with a following parser", () => {
    const r = run("| unpack | logfmt", JSON.stringify({ container: "c", _entry: "a=1 b=2" }));
    expect(r?.labels).toEqual({ ...STREAM, container: "c", a: "1", b: "2" });
  });
  it("sets JSONParserErr on a non-JSON line", () => {
    expect(run("| unpack", "plain")?.labels.__error__).toBe("JSONParserErr");
  });
});

describe("label filters", () => {
  const L = "status=503 duration=1.5s size=20MB method=GET addr=10.1.2.3 ratio=0.25 name=web";
  const cases: [string, boolean][] = [
    ["status >= 500", true],
    ["status == 503", true],
    ["status = 503", true],
    ["status != 503", false],
    ["status < 500", false],
    ["ratio <= 0.25", true],
    ["ratio > 0.25", false],
    ["duration > 1s", true],
    ["duration >= 1500ms", true],
    ["duration < 1s", false],
    ["size > 10MB", true],
    ["size == 20MB", true],
    ["size < 1KiB", false],
    ['method = "GET"', true],
    ['method != "GET"', false],
    ['method =~ "G.*"', true],
    ['method !~ "G.*"', false],
    ['name =~ "we"', false],
    ['absent = ""', true],
    ["absent > 1", false],
    ['addr = ip("10.0.0.0/8")', true],
    ['addr != ip("10.0.0.0/8")', false],
    ['addr = ip("10.1.2.0-10.1.2.2")', false],
    ['status >= 500 and method = "POST"', false],
    ['status >= 500, method = "GET"', true],
    ['status >= 500 method = "GET"', true],
    ['status < 500 or method = "GET"', true],
    // `and` binds tighter: false or (true and true).
    ['method = "POST" or status = 503 and duration > 1s', true],
    // (false and …) or false.
    ['method = "POST" and status = 503 or duration > 10s', false],
    ['(method = "POST" or status = 503) and duration > 10s', false],
  ];
  it.each(cases)("%s → %s", (filter, want) => {
    expect(run(`| logfmt | ${filter}`, L) !== undefined).toBe(want);
  });

  it("sets LabelFilterErr on a value that cannot be converted and keeps the line", () => {
    for (const f of ["status > 5", "status > 5s", "status > 5MB"]) {
      const r = run(`| logfmt | ${f}`, "status=abc");
      expect(r?.labels.__error__).toBe("LabelFilterErr");
      expect(r?.labels.__error_details__).not.toBe("");
      expect(run(`| logfmt | ${f} | __error__=""`, "status=abc")).toBeUndefined();
      expect(run(`| logfmt | ${f} | __error__!=""`, "status=abc")).toBeDefined();
    }
  });

  it("lets an errored line through numeric filters (only string matchers can drop it)", () => {
    expect(run("| json | status > 400", "not json")?.labels.__error__).toBe("JSONParserErr");
    expect(run('| json | status = "x"', "not json")).toBeUndefined();
  });

  it("converts Go forms of numbers, durations and bytes", () => {
    expect(passes("| logfmt | v > 1000", "v=1e4")).toBe(true);
    expect(passes("| logfmt | v < 0", "v=-2.5")).toBe(true);
    expect(passes("| logfmt | v > 1m", "v=1h2m")).toBe(true);
    expect(passes("| logfmt | v == 0s", "v=0")).toBe(true);
    expect(passes("| logfmt | v == 1KiB", "v=1024")).toBe(true);
    expect(passes("| logfmt | v >= 1KB", 'v="1 kB"')).toBe(true);
  });
});

describe("drop, keep, decolorize", () => {
  const line = "level=error method=GET status=500 msg=x";
  it("drop removes names and labels matching a matcher", () => {
    expect(run('| logfmt | drop msg, method="GET", status="200"', line)?.labels).toEqual({
      ...STREAM,
      level_extracted: "error",
      status: "500",
    });
    expect(run("| logfmt | drop app", line)?.labels.app).toBeUndefined();
  });
  it("drop can remove __error__ so the line is no longer errored", () => {
    const r = run("| json | drop __error__, __error_details__", "x");
    expect(r?.labels).toEqual(STREAM);
  });
  it("keep retains only names and matching labels (stream labels included)", () => {
    expect(run('| logfmt | keep app, status="500", method="POST"', line)?.labels).toEqual({
      app: "api",
      status: "500",
    });
  });
  it("decolorize strips ANSI colour sequences", () => {
    expect(run("| decolorize", "\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m")?.line).toBe(
      "red and bold green",
    );
    expect(run("| decolorize", "plain")?.line).toBe("plain");
  });
});

describe("line_format and label_format", () => {
  it("line_format renders the template with the current labels", () => {
    expect(
      run('| logfmt | line_format "{{.method}} {{.status}} {{.app}}"', "method=GET status=200")?.line,
    ).toBe("GET 200 api");
    expect(run('| line_format "{{__timestamp__}}|{{__line__}}"', "orig")?.line).toBe(
      "1700000000000000000|orig",
    );
  });
  it("a later stage sees the formatted line", () => {
    expect(passes('| logfmt | line_format "{{.msg}}" |= "hello"', 'msg="hello you"')).toBe(true);
    expect(passes('| logfmt | line_format "{{.msg}}" |= "msg="', 'msg="hello you"')).toBe(false);
  });
  it("a template failing at run time sets TemplateFormatErr and keeps the line", () => {
    const r = run('| line_format "{{fail}}"', "orig");
    expect(r?.line).toBe("orig");
    expect(r?.labels.__error__).toBe("TemplateFormatErr");
  });
  it("a template failing to compile fails the pipeline", () => {
    expect(() => run('| line_format "{{bad"', "x")).toThrow(/bad syntax/);
  });
  it("formats with the real Go-template engine by default", () => {
    const q = parseLogQL(
      '{a="b"} | logfmt | line_format "{{ .level | ToUpper }} {{ __line__ | trunc 5 }}" | label_format who=`{{ .user }}@{{ .a }}`',
    ) as LogQueryExpr;
    const p = compilePipeline(q.pipeline);
    const r = p.process(1n, "level=warn user=ann", new LineLabels(Labels.fromRecord({ a: "b" })));
    expect(r?.line).toBe("WARN level");
    expect(r?.labels.get("who")).toBe("ann@b");
    expect(() =>
      compilePipeline((parseLogQL('{a="b"} | line_format "{{ .x"') as LogQueryExpr).pipeline),
    ).toThrow();
  });
  it("label_format applies in order: templates see the earlier renames, not the later ones", () => {
    // As Loki's LabelsFormatter: the template data is taken at the first template, after `dst=status`.
    expect(
      run('| logfmt | label_format dst=status, both="{{.method}}-{{.status}}"', "method=GET status=200")
        ?.labels,
    ).toEqual({ ...STREAM, method: "GET", dst: "200", both: "GET-" });
    expect(
      run('| logfmt | label_format both="{{.method}}-{{.status}}", dst=status', "method=GET status=200")
        ?.labels,
    ).toEqual({ ...STREAM, method: "GET", dst: "200", both: "GET-200" });
    // A rename whose source is absent changes nothing.
    expect(run("| logfmt | label_format level=nothere", "x=1")?.labels).toEqual({ ...STREAM, x: "1" });
    // Renaming over a stream label replaces its value.
    expect(run("| logfmt | label_format app=x", "x=1")?.labels).toEqual({ app: "1", level: "info" });
  });
});

describe("combinations", () => {
  it("filters, parses, filters on labels and formats", () => {
    const q = '|= "metrics.go" | logfmt | duration > 10s and throughput_mb < 500 | line_format "{{.query}}"';
    expect(run(q, 'caller=metrics.go duration=12s throughput_mb=20 query="sum(rate(x[1m]))"')?.line).toBe(
      "sum(rate(x[1m]))",
    );
    expect(run(q, 'caller=metrics.go duration=2s throughput_mb=20 query="q"')).toBeUndefined();
    expect(run(q, 'caller=other.go duration=12s throughput_mb=20 query="q"')).toBeUndefined();
  });
  it("an empty pipeline passes everything unchanged", () => {
    const p = compilePipeline([]);
    expect(p.noop).toBe(true);
    const labels = new LineLabels(Labels.fromRecord(STREAM));
    expect(p.process(0n, "x", labels)).toEqual({ line: "x", labels });
  });
  it("the first error of a line is kept", () => {
    const r = run("| json | logfmt --strict", 'a="x');
    expect(r?.labels.__error__).toBe("JSONParserErr");
  });
  it("toLabels drops empty values and sorts", () => {
    const q = parseLogQL('{a="b"} | logfmt --keep-empty') as LogQueryExpr;
    const r = compilePipeline(q.pipeline).process(0n, "z=1 e=", new LineLabels(Labels.fromRecord(STREAM)));
    expect(r?.labels.toLabels().toString()).toBe(Labels.fromRecord({ ...STREAM, z: "1" }).toString());
  });
});
