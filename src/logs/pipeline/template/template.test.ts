import { describe, expect, it } from "vitest";
import type { CompileTemplate } from "../template.js";
import { compileTemplate, type TemplateData, TemplateError, TemplateExecError } from "./index.js";

const data: TemplateData = {
  labels: {
    path: "/api v1/users",
    method: "GET",
    level: "INFO",
    status: "200",
    n: "5",
    f: "2.5",
    err: "",
    msg: "  padded  ",
    json: '{"user":{"name":"ann","tags":["a","b"]},"count":3}',
    dur: "1h30m",
    size: "2 KiB",
  },
  line: "Hello World from pod-7",
  // 2023-03-23T13:13:35.123456789Z
  tsNs: 1679577215123456789n,
};

function render(t: string): string {
  return compileTemplate(t)(data);
}

// Inputs and outputs written from the examples in Go's text/template and Loki's template
// functions documentation.
const cases: [string, string, string][] = [
  // text, fields, trim markers, comments
  ["plain text", "hello", "hello"],
  ["field", "{{.level}}", "INFO"],
  ["field with spaces", "{{ .status }}", "200"],
  ["missing label is empty", "[{{ .nope }}]", "[]"],
  ["trim both sides", "a  {{- .level -}}  b", "aINFOb"],
  ["trim newline", "x\n  {{- 23}}\n  {{- 45 -}}\n y", "x2345y"],
  ["dash without space is a number", "{{-3}}", "-3"],
  ["comment", "a{{/* a comment */}}b", "ab"],
  ["trimmed comment", "a  {{- /* c */ -}}  b", "ab"],
  ["dot prints the labels map", '{{ index . "method" }}', "GET"],
  // literals
  ["string literal", '{{ "a\\tb" }}', "a\tb"],
  ["raw string", "{{ `a\\tb` }}", "a\\tb"],
  ["int literal", "{{ 0x1F }} {{ 017 }} {{ 1_000 }}", "31 15 1000"],
  ["float literal prints as Go", "{{ 1.5 }} {{ 1e6 }} {{ 3.0 }} {{ 0.00001 }}", "1.5 1e+06 3 1e-05"],
  ["char literal", "{{ 'a' }}", "97"],
  ["bool and nil-ish", "{{ true }} {{ false }}", "true false"],
  // variables
  ["declare", "{{ $x := .level }}{{ $x }}", "INFO"],
  ["assign", "{{ $x := 1 }}{{ $x = add $x 2 }}{{ $x }}", "3"],
  ["dollar is the data", "{{ $.method }}", "GET"],
  ["variable scope ends at end", "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"],
  // pipelines and calls
  ["loki pipeline example", '{{ .path | replace " " "_" | trunc 5 | upper }}', "/API_"],
  ["parenthesised call", '{{ upper (printf "%s-%s" .method .level) }}', "GET-INFO"],
  ["field on parenthesised result", "{{ (fromJson .json).user.name }}", "ann"],
  ["variable field chain", "{{ $j := fromJson .json }}{{ $j.user.name }}/{{ $j.count }}", "ann/3"],
  // if / else
  ["if true", "{{ if .level }}yes{{ end }}", "yes"],
  ["if empty string", "{{ if .err }}yes{{ else }}no{{ end }}", "no"],
  ["if zero", "{{ if 0 }}yes{{ else }}no{{ end }}", "no"],
  ["else if", '{{ if eq .level "DEBUG" }}d{{ else if eq .level "INFO" }}i{{ else }}o{{ end }}', "i"],
  ["loki and example", '{{ if and (contains "he" "hello") (contains "llo" "hello") }} yes {{end}}', " yes "],
  ["loki or example", '{{ if or (contains "he" "hello") (contains("llo" "hello")) }} yes {{end}}', " yes "],
  [
    "loki else-if example",
    '{{ if contains .err "ErrTimeout" }} timeout {{else if contains "he" "hello"}} yes {{else}} no {{end}}',
    " timeout ",
  ],
  ["if declares", "{{ if $v := .level }}{{ $v }}{{ end }}", "INFO"],
  ["with", "{{ with .level }}<{{ . }}>{{ end }}{{ with .err }}x{{ else }}none{{ end }}", "<INFO>none"],
  // range
  ["range list", "{{ range (fromJson .json).user.tags }}[{{ . }}]{{ end }}", "[a][b]"],
  [
    "range with index",
    "{{ range $i, $v := (fromJson .json).user.tags }}{{ $i }}={{ $v }} {{ end }}",
    "0=a 1=b ",
  ],
  ["range else", '{{ range (fromJson "[]") }}x{{ else }}empty{{ end }}', "empty"],
  [
    "range int, break, continue",
    "{{ range $i := 5 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
    "02",
  ],
  [
    "range map sorted",
    '{{ range $k, $v := fromJson "{\\"b\\":1,\\"a\\":2}" }}{{ $k }}{{ $v }}{{ end }}',
    "a2b1",
  ],
  // Go builtins
  ["and returns first falsy", '{{ and 1 "" 2 }}|{{ and 1 2 }}', "|2"],
  ["or returns first truthy", '{{ or "" 0 "x" }}|{{ or "" 0 }}', "x|0"],
  ["not", "{{ not .err }} {{ not .level }}", "true false"],
  ["eq variadic", '{{ eq .status "404" "200" }} {{ ne .status "200" }}', "true false"],
  ["ordering", '{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}', "true true true false"],
  ["len", '{{ len .path }} {{ len (fromJson .json).user.tags }} {{ len "é" }}', "13 2 2"],
  ["index", '{{ index (fromJson .json).user.tags 1 }} {{ index "abc" 0 }}', "b 97"],
  ["slice", '{{ slice "abcdef" 1 3 }}', "bc"],
  ["print", '{{ print 1 2 "a" 3 }} {{ println "x" 1 }}', "1 2a3 x 1\n"],
  ["html and urlquery", '{{ html "<a&b>" }} {{ urlquery "a b" }}', "&lt;a&amp;b&gt; a+b"],
  // special fields
  ["__line__", "{{ __line__ }}", "Hello World from pod-7"],
  ["__line__ piped", "{{ __line__ | lower }}", "hello world from pod-7"],
  ["__timestamp__", "{{ __timestamp__ }}", "2023-03-23 13:13:35.123456789 +0000 UTC"],
  [
    "__timestamp__ date",
    '{{ __timestamp__ | date "2006-01-02T15:04:05.00Z07:00" }}',
    "2023-03-23T13:13:35.12Z",
  ],
  ["__timestamp__ unixEpoch", "{{ __timestamp__ | unixEpoch }}", "1679577215"],
];

describe("compileTemplate: Go template syntax", () => {
  it.each(cases)("%s", (_name, template, want) => {
    expect(render(template)).toBe(want);
  });

  it("returns the constant text without running anything", () => {
    expect(compileTemplate("static")({ labels: {}, line: "", tsNs: 0n })).toBe("static");
    expect(compileTemplate("")({ labels: {}, line: "", tsNs: 0n })).toBe("");
  });

  it("does not read inherited properties as labels", () => {
    expect(render("[{{ .constructor }}{{ .__proto__ }}{{ .toString }}]")).toBe("[]");
  });
});

const functionCases: [string, string, string][] = [
  [
    "ToLower/ToUpper",
    '{{ .method | ToLower }} {{ ToUpper "This is a string" | ToLower }}',
    "get this is a string",
  ],
  ["lower/upper", "{{ .method | lower }}{{ .level | lower | upper }}", "getINFO"],
  ["title", '{{ "hello world-wide web_x" | title }}', "Hello World-Wide Web_x"],
  [
    "trunc",
    '{{ "hello world" | trunc 5 }}|{{ trunc -5 "hello world" }}|{{ trunc 50 "hi" }}',
    "hello|world|hi",
  ],
  ["substr", '{{ .method | substr 0 2 }}|{{ substr 1 100 "abc" }}|{{ substr -1 2 "abc" }}', "GE|bc|ab"],
  [
    "Replace",
    '{{ Replace "oink oink oink" "k" "ky" 2 }}|{{ Replace "oink oink" "oink" "moo" -1 }}',
    "oinky oinky oink|moo moo",
  ],
  ["replace", '{{ "I Am Henry VIII" | replace " " "-" }}', "I-Am-Henry-VIII"],
  [
    "trim family",
    '[{{ .msg | trim }}]{{ trimAll "$" "$5.00$" }}|{{ trimPrefix "-" "-hello" }}|{{ trimSuffix "-" "hello-" }}',
    "[padded]5.00|hello|hello",
  ],
  [
    "trimLeft/trimRight",
    '{{ trimLeft "/" "//a/b/" }}|{{ trimRight "/" "//a/b/" }}|{{ TrimLeft "xxaxx" "x" }}',
    "a/b/|//a/b|axx",
  ],
  [
    "Go-order trims",
    '{{ Trim "  a  " " " }}|{{ TrimPrefix "abc" "a" }}|{{ TrimSuffix "abc" "c" }}|{{ TrimSpace " a " }}|{{ trimSpace " b " }}',
    "a|bc|ab|a|b",
  ],
  [
    "regexReplaceAll",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go regexp replacement syntax, not a JS template
    '{{ regexReplaceAll "(a*)bc" "aabcxbc" "${1}X" }}|{{ regexReplaceAll "(?i)GET" .method "post" }}',
    "aaXxX|post",
  ],
  ["regexReplaceAll named", '{{ regexReplaceAll "(?P<w>o+)" "foo boo" "<$w>" }}', "f<oo> b<oo>"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go regexp replacement syntax, not a JS template
  ["regexReplaceAllLiteral", '{{ regexReplaceAllLiteral "(a*)bc" "aabc" "${1}" }}', "${1}"],
  ["count", '{{ __line__ | count "o" }} {{ count "[0-9]" __line__ }}', "4 1"],
  [
    "contains/hasPrefix/hasSuffix",
    '{{ contains "World" __line__ }} {{ hasPrefix "/api" .path }} {{ hasSuffix "x" .path }}',
    "true true false",
  ],
  ["indent/nindent", '{{ indent 2 "a\\nb" }}|{{ nindent 2 "a" }}', "  a\n  b|\n  a"],
  ["repeat", '{{ repeat 3 "ab" }}', "ababab"],
  ["default", '{{ .err | default "-" }} {{ .level | default "-" }} {{ default "x" 0 }}', "- INFO x"],
  [
    "urlencode/urldecode",
    '{{ urlencode "a b&c=d/é" }} {{ "a+b%26c" | urldecode }}',
    "a+b%26c%3Dd%2F%C3%A9 a b&c",
  ],
  [
    "b64enc/b64dec",
    '{{ b64enc "hello" }} {{ "aGVsbG8=" | b64dec }} {{ b64dec "!!" }}',
    "aGVsbG8= hello illegal base64 data at input byte 0",
  ],
  [
    "bytes",
    '{{ .size | bytes }} {{ bytes "2 KB" }} {{ bytes "42" }} {{ bytes "1.5MB" }}',
    "2048 2000 42 1.5e+06",
  ],
  [
    "duration",
    '{{ .dur | duration }} {{ duration_seconds "250ms" }} {{ duration "-1.5s" }}',
    "5400 0.25 -1.5",
  ],
  ["fromJson", '{{ (fromJson .json).count }} {{ fromJson "not json" }}', "3 <no value>"],
  [
    "alignLeft/alignRight",
    "[{{ alignLeft 6 .level }}][{{ alignRight 6 .level }}][{{ alignLeft 2 .level }}][{{ alignRight 2 .level }}]",
    "[INFO  ][  INFO][IN][FO]",
  ],
  [
    "unixEpoch family",
    "{{ __timestamp__ | unixEpoch }} {{ __timestamp__ | unixEpochMillis }} {{ __timestamp__ | unixEpochNanos }}",
    "1679577215 1679577215123 1679577215123456789",
  ],
  [
    "unixToTime",
    '{{ unixToTime "1679577215" }}|{{ unixToTime "19440" | date "2006-01-02" }}|{{ unixToTime "1679577215123" | unixEpochMillis }}',
    "2023-03-23 13:13:35 +0000 UTC|2023-03-24|1679577215123",
  ],
  [
    "toDate",
    '{{ toDate "2006-01-02" "2021-04-19" }}|{{ toDate "2006-01-02" "garbage" | unixEpoch }}',
    "2021-04-19 00:00:00 +0000 UTC|-62135596800",
  ],
  [
    "toDate with offset",
    '{{ toDate "2006-01-02T15:04:05Z07:00" "2021-04-19T10:00:00+02:00" | unixEpoch }}',
    "1618819200",
  ],
  [
    "toDateInZone UTC",
    '{{ toDateInZone "2006-01-02 15:04" "UTC" "2024-07-01 12:00" | unixEpoch }}',
    "1719835200",
  ],
  [
    "toDateInZone fixed offset",
    '{{ toDateInZone "2006-01-02 15:04" "Etc/GMT-3" "2024-07-01 12:00" | unixEpoch }}',
    "1719824400",
  ],
  [
    "toDateInZone IANA",
    '{{ toDateInZone "2006-01-02 15:04" "Europe/Berlin" "2024-07-01 12:00" | date "15:04 -07:00" }}',
    "12:00 +02:00",
  ],
  [
    "date layouts",
    '{{ __timestamp__ | date "Mon Jan _2 03:04:05.000 PM MST 2006" }}',
    "Thu Mar 23 01:13:35.123 PM UTC 2023",
  ],
  ["date of unix seconds", '{{ date "2006-01-02" 0 }}', "1970-01-01"],
  ["date of a string is now, as sprig", '{{ date "2006" "x" | len }}', "4"],
  ["now is a time", '{{ now | date "2006" | len }}', "4"],
  [
    "int/float64",
    '{{ int "42" }} {{ int .f }} {{ int "x" }} {{ float64 .f }} {{ float64 "1e3" }}',
    "42 0 0 2.5 1000",
  ],
  [
    "int arithmetic",
    "{{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add .n 1 }}",
    "6 -2 24 3 1 6",
  ],
  [
    "float arithmetic",
    "{{ addf 0.1 0.2 }} {{ subf 1 0.9 }} {{ mulf 1.1 3 }} {{ divf 1 3 }} {{ .f | addf 1 }}",
    "0.3 0.1 3.3 0.3333333333333333 3.5",
  ],
  ["max/min", "{{ max 1 5 3 }} {{ min 4 2 8 }} {{ maxf 1.5 2.5 }} {{ minf 1.5 -2 }}", "5 2 2.5 -2"],
  [
    "ceil/floor/round",
    "{{ ceil 1.1 }} {{ floor 1.9 }} {{ round 3.14159 2 }} {{ round 2.5 0 }} {{ round 1.2345 3 0.4 }}",
    "2 1 3.14 3 1.235",
  ],
];

describe("compileTemplate: Loki's functions", () => {
  it.each(functionCases)("%s", (_name, template, want) => {
    expect(render(template)).toBe(want);
  });
});

const printfCases: [string, string][] = [
  ['{{ printf "%s=%d" "a" 1 }}', "a=1"],
  ['{{ .status | printf "%s-%s" "a" }}', "a-200"],
  ['{{ 3 | add 1 | printf "%03d" }}', "004"],
  ['{{ printf "%6.2f|%-10.3e|%+.1f" -3.14159 1234.5 2.25 }}', " -3.14|1.234e+03 |+2.2"],
  ['{{ printf "%.3g|%.3g|%g|%.0f" 1234.5678 0.00012345 100000.0 2.5 }}', "1.23e+03|0.000123|100000|2"],
  ['{{ printf "%5s|%-5s|%.2s" "ab" "ab" "abc" }}', "   ab|ab   |ab"],
  ['{{ printf "%05d|%+d|%x|%X|%o|%b|%#x" 42 42 255 255 8 5 255 }}', "00042|+42|ff|FF|10|101|0xff"],
  [
    '{{ printf "%f|%.2f|%8.3f|%e|%g|%G" 3.14159 3.14159 3.14159 1234.5678 0.000012345 1e21 }}',
    "3.141590|3.14|   3.142|1.234568e+03|1.2345e-05|1E+21",
  ],
  ['{{ printf "%v|%v|%v|%v" 1 1.5 "s" true }}', "1|1.5|s|true"],
  ['{{ printf "%q|%q" "a\\"b\\n" 65 }}', '"a\\"b\\n"|\'A\''],
  ['{{ printf "%x" "hi" }}', "6869"],
  ['{{ printf "%t %c %%" true 65 }}', "true A %"],
  ['{{ printf "%d" .status }}', "%!d(string=200)"],
  ['{{ printf "%f" 1 }}', "%!f(int=1)"],
  ['{{ printf "%s %s" "a" }}', "a %!s(MISSING)"],
  ['{{ printf "%s" "a" "b" }}', "a%!(EXTRA string=b)"],
  ['{{ printf "%T %T %T" 1 1.5 .status }}', "int float64 string"],
  ['{{ printf "%v" (fromJson .json).user.tags }}', "[a b]"],
];

describe("printf", () => {
  it.each(printfCases)("%s", (template, want) => {
    expect(render(template)).toBe(want);
  });
});

const compileErrors: [string, string, number, number][] = [
  ["{{ .x ", "unclosed action", 1, 3],
  ["{{ foo }}", 'function "foo" not defined', 1, 4],
  ["a\n{{ if 1 }}", "unexpected EOF in {{if}}", 2, 4],
  ["{{ end }}", "unexpected {{end}}", 1, 4],
  ["{{ else }}", "unexpected {{else}}", 1, 4],
  ["{{ $y }}", 'undefined variable "$y"', 1, 4],
  ["{{ $y = 1 }}", 'undefined variable "$y"', 1, 4],
  ['{{ .x | "a" }}', "non executable command in pipeline stage 2", 1, 9],
  ['{{ "abc }}', "unterminated quoted string", 1, 4],
  ["{{ ( .x }}", "unclosed left paren", 1, 9],
  ["{{ .x ) }}", "unexpected right paren", 1, 7],
  ["{{ }}", "missing value for command", 1, 4],
  ["{{ 1x }}", 'bad number syntax: "1x"', 1, 4],
  ["{{ break }}", "{{break}} outside {{range}}", 1, 4],
  ["{{ .x | }}", "missing command after |", 1, 9],
  ["{{ # }}", 'unrecognized character in action: "#"', 1, 4],
  ["{{/* x }}", "unclosed comment", 1, 1],
  ["{{ /* x */ }}", 'unrecognized character in action: "/"', 1, 4],
  [`{{ ${"(".repeat(150)}1${")".repeat(150)} }}`, "nesting deeper than 100 levels", 1, 104],
  [`${"{{ if 1 }}".repeat(150)}`, "nesting deeper than 100 levels", 1, 1004],
  ['{{ define "x" }}{{ end }}', "{{define}} is not supported", 1, 4],
  ["{{ if 1 }}{{ else }}{{ else }}{{ end }}", "expected end; found {{else}}", 1, 24],
];

describe("compile errors", () => {
  it.each(compileErrors)("%s", (template, reason, line, column) => {
    let err: unknown;
    try {
      compileTemplate(template);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    const te = err as TemplateError;
    expect(te.reason).toBe(reason);
    expect([te.line, te.column]).toEqual([line, column]);
  });
});

const execErrors: [string, RegExp][] = [
  ["{{ div 1 0 }}", /integer divide by zero/],
  ["{{ upper 1 }}", /expected string; got int/],
  ['{{ trunc "a" "b" }}', /expected int; got string/],
  ['{{ upper "a" "b" }}', /wrong number of args for upper/],
  ["{{ .level.x }}", /can't evaluate field x in type string/],
  ["{{ .level | .method }}", /can't give argument to non-function/],
  ['{{ eq 1 "1" }}', /incompatible types for comparison/],
  ["{{ lt true false }}", /invalid type for comparison/],
  ['{{ duration "abc" }}', /invalid duration/],
  ['{{ bytes "x y" }}', /invalid bytes/],
  ['{{ urldecode "%zz" }}', /invalid URL escape/],
  ['{{ regexReplaceAll "(" "a" "b" }}', /error calling regexReplaceAll/],
  ['{{ index "abc" 5 }}', /index out of range/],
  ['{{ unixToTime "abc" }}', /invalid epoch/],
  ['{{ repeat 100000000 "ab" }}', /longer than/],
  ["{{ range 1000000 }}{{ end }}", /more than 100000 steps/],
  ['{{ replace "" (repeat 1000000 "ab") "abcdefghijkl" }}', /longer than/],
  ['{{ printf "%1000000d%1000000d%1000000d%1000000d%1000000d" 1 2 3 4 5 }}', /longer than/],
  ['{{ unixEpoch "x" }}', /expected time.Time/],
];

describe("runtime errors", () => {
  it.each(execErrors)("%s", (template, message) => {
    const run = compileTemplate(template);
    expect(() => run(data)).toThrow(TemplateExecError);
    expect(() => run(data)).toThrow(message);
  });

  it("carries Loki's __error__ value as its code", () => {
    try {
      compileTemplate("{{ div 1 0 }}")(data);
    } catch (e) {
      expect((e as TemplateExecError).code).toBe("TemplateFormatErr");
    }
  });
});

describe("the pipeline's seam", () => {
  it("compileTemplate is the pipeline's CompileTemplate", () => {
    const engine: CompileTemplate = compileTemplate;
    expect(engine("{{ .a }}")({ labels: { a: "x" }, line: "", tsNs: 0n })).toBe("x");
  });
});
