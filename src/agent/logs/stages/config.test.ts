import { describe, expect, it } from "vitest";
import { compilePipeline, STAGE_NAMES } from "./compile.js";
import { StageConfigError } from "./config.js";

const cases: { name: string; stages: unknown; error: string | RegExp }[] = [
  {
    name: "not a list",
    stages: { json: {} },
    error: /^pipeline_stages: expected a list of stages, found a mapping/,
  },
  {
    name: "item not a mapping",
    stages: ["json"],
    error: /^pipeline_stages\[0\]: expected a mapping with one stage name/,
  },
  {
    name: "two stage names in one item",
    stages: [{ json: {}, regex: {} }],
    error: "pipeline_stages[0]: expected exactly one stage name per list item, found json, regex",
  },
  {
    name: "unknown stage",
    stages: [{ cri: {} }, { jsn: {} }],
    error: /^pipeline_stages\[1\]\.jsn: unknown stage; supported: cri, docker, drop, json/,
  },
  {
    name: "tenant is refused with the reason",
    stages: [{ tenant: { value: "a" } }],
    error: /^pipeline_stages\[0\]\.tenant: the tenant comes from the cluster's certificate/,
  },
  {
    name: "unknown option",
    stages: [{ regex: { expression: "(?P<a>x)", sourc: "y" } }],
    error: /^pipeline_stages\[0\]\.regex\.sourc: unknown option; this stage accepts: expression, source/,
  },
  {
    name: "options not a mapping",
    stages: [{ regex: "x" }],
    error: /^pipeline_stages\[0\]\.regex: expected a mapping of options, found string "x"/,
  },
  {
    name: "regex expression missing",
    stages: [{ regex: {} }],
    error: /^pipeline_stages\[0\]\.regex\.expression: is required/,
  },
  {
    name: "regex invalid",
    stages: [
      { static_labels: { a: "b" } },
      { cri: {} },
      { docker: {} },
      { regex: { expression: "(?P<a>x" } },
    ],
    error: /^pipeline_stages\[3\]\.regex\.expression: invalid RE2 regular expression/,
  },
  {
    name: "regex without named group",
    stages: [{ regex: { expression: "a(b)" } }],
    error: /^pipeline_stages\[0\]\.regex\.expression: has no named capture group/,
  },
  {
    name: "regex unsupported RE2 flag",
    stages: [{ regex: { expression: "(?U)(?P<a>x+)" } }],
    error: /^pipeline_stages\[0\]\.regex\.expression: invalid RE2/,
  },
  {
    name: "json without expressions",
    stages: [{ json: { source: "x" } }],
    error: /^pipeline_stages\[0\]\.json\.expressions: is required/,
  },
  {
    name: "json bad jmespath",
    stages: [{ json: { expressions: { a: "items[?x>1]" } } }],
    error:
      /^pipeline_stages\[0\]\.json\.expressions\.a: invalid JMESPath expression "items\[\?x>1\]".*only numeric indexes/,
  },
  {
    name: "json drop_malformed not a bool",
    stages: [{ json: { expressions: { a: "" }, drop_malformed: "yes" } }],
    error: /json\.drop_malformed: expected true or false, found string "yes"/,
  },
  {
    name: "logfmt without mapping",
    stages: [{ logfmt: {} }],
    error: /^pipeline_stages\[0\]\.logfmt\.mapping: is required/,
  },
  {
    name: "labels invalid name",
    stages: [{ labels: { "bad-name": "" } }],
    error: /^pipeline_stages\[0\]\.labels\.bad-name: is not a valid label name/,
  },
  { name: "labels empty", stages: [{ labels: {} }], error: /^pipeline_stages\[0\]\.labels: is empty/ },
  {
    name: "static_labels without value",
    stages: [{ static_labels: { env: "" } }],
    error: /static_labels\.env: needs a value/,
  },
  {
    name: "labeldrop not a list",
    stages: [{ labeldrop: "pod" }],
    error: /^pipeline_stages\[0\]\.labeldrop: expected a non-empty list of label names/,
  },
  {
    name: "labelallow bad entry",
    stages: [{ labelallow: ["ok", 3] }],
    error: /^pipeline_stages\[0\]\.labelallow\[1\]: expected a label name/,
  },
  {
    name: "timestamp bad format",
    stages: [{ timestamp: { source: "t", format: "iso" } }],
    error: /^pipeline_stages\[0\]\.timestamp\.format: unknown format "iso": use RFC3339/,
  },
  {
    name: "timestamp bad fallback",
    stages: [{ timestamp: { source: "t", format: "Unix", fallback_formats: ["Unix", "nope"] } }],
    error: /timestamp\.fallback_formats\[1\]: unknown format "nope"/,
  },
  {
    name: "timestamp bad location",
    stages: [{ timestamp: { source: "t", format: "Unix", location: "Mars/Olympus" } }],
    error: /timestamp\.location: unknown location "Mars\/Olympus"/,
  },
  {
    name: "timestamp bad action",
    stages: [{ timestamp: { source: "t", format: "Unix", action_on_failure: "panic" } }],
    error: /timestamp\.action_on_failure: must be fudge or skip, found "panic"/,
  },
  {
    name: "timestamp without source",
    stages: [{ timestamp: { format: "Unix" } }],
    error: /timestamp\.source: is required/,
  },
  {
    name: "template invalid",
    stages: [{ template: { source: "a", template: "{{ .Value " } }],
    error: /^pipeline_stages\[0\]\.template\.template: invalid Go template/,
  },
  {
    name: "template unknown function",
    stages: [{ template: { source: "a", template: "{{ NoSuchFn .Value }}" } }],
    error: /template\.template: invalid Go template/,
  },
  {
    name: "drop without condition",
    stages: [{ drop: { drop_counter_reason: "x" } }],
    error: /^pipeline_stages\[0\]\.drop: needs at least one of source, expression, older_than, longer_than/,
  },
  {
    name: "drop value without source",
    stages: [{ drop: { value: "x" } }],
    error: /drop\.value: needs source/,
  },
  {
    name: "drop value and expression",
    stages: [{ drop: { source: "a", value: "x", expression: "y" } }],
    error: /drop\.value: cannot be used together with expression/,
  },
  {
    name: "drop bad duration",
    stages: [{ drop: { older_than: "yesterday" } }],
    error: /drop\.older_than: expected a duration such as 3s/,
  },
  {
    name: "drop bad size",
    stages: [{ drop: { longer_than: "big" } }],
    error: /drop\.longer_than: expected a size such as 4096/,
  },
  { name: "limit without rate", stages: [{ limit: { burst: 10 } }], error: /limit\.rate: is required/ },
  {
    name: "limit zero rate",
    stages: [{ limit: { rate: 0, burst: 1 } }],
    error: /limit\.rate: is required: lines per second \(> 0\)/,
  },
  {
    name: "limit negative burst",
    stages: [{ limit: { rate: 1, burst: -1 } }],
    error: /limit\.burst: expected an integer ≥ 1, found number -1/,
  },
  {
    name: "limit drop false refused",
    stages: [{ limit: { rate: 1, burst: 1, drop: false } }],
    error: /limit\.drop: false \(block until the rate allows\) is not supported/,
  },
  {
    name: "multiline without firstline",
    stages: [{ multiline: { max_wait_time: "3s" } }],
    error: /multiline\.firstline: is required/,
  },
  {
    name: "multiline bad max_lines",
    stages: [{ multiline: { firstline: "^x", max_lines: 0 } }],
    error: /multiline\.max_lines: expected an integer ≥ 1/,
  },
  {
    name: "match bad selector",
    stages: [{ match: { selector: "{app=", stages: [] } }],
    error: /^pipeline_stages\[0\]\.match\.selector: invalid LogQL selector/,
  },
  {
    name: "match metric query",
    stages: [{ match: { selector: 'rate({a="b"}[1m])', stages: [] } }],
    error: /match\.selector: must be a stream selector/,
  },
  {
    name: "match parser in selector",
    stages: [{ match: { selector: '{a="b"} | json', stages: [] } }],
    error: /match\.selector: only line filters/,
  },
  {
    name: "match drop with stages",
    stages: [{ match: { selector: '{a="b"}', action: "drop", stages: [{ cri: {} }] } }],
    error: /match\.stages: must be empty with action: drop/,
  },
  {
    name: "match keep without stages",
    stages: [{ match: { selector: '{a="b"}' } }],
    error: /match\.stages: is required with action: keep/,
  },
  {
    name: "match bad action",
    stages: [{ match: { selector: '{a="b"}', action: "maybe" } }],
    error: /match\.action: must be keep or drop/,
  },
  {
    name: "error inside nested stages names the full path",
    stages: [
      { cri: {} },
      {
        match: {
          selector: '{a="b"}',
          stages: [{ json: { expressions: { x: "" } } }, { regex: { expression: "(" } }],
        },
      },
    ],
    error: /^pipeline_stages\[1\]\.match\.stages\[1\]\.regex\.expression: invalid RE2/,
  },
];

describe("pipeline configuration errors", () => {
  it.each(cases)("$name", ({ stages, error }) => {
    let caught: unknown;
    try {
      compilePipeline(stages);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StageConfigError);
    const msg = (caught as Error).message;
    if (typeof error === "string") expect(msg).toBe(error);
    else expect(msg).toMatch(error);
  });

  it("an empty or absent list is a pipeline that passes entries through", () => {
    for (const stages of [[], null, undefined]) {
      const p = compilePipeline(stages);
      const e = { labels: new Map(), extracted: new Map(), line: "x", tsNs: 1n, metadata: new Map() };
      expect(p.process(e, 0)).toEqual([e]);
    }
  });

  it("the error path uses the configured list name", () => {
    expect(() => compilePipeline([{ nope: {} }], { path: "scrape_configs[2].pipeline_stages" })).toThrow(
      /^scrape_configs\[2\]\.pipeline_stages\[0\]\.nope: unknown stage/,
    );
  });

  it("every supported stage has a name in STAGE_NAMES", () => {
    expect(STAGE_NAMES).toEqual(
      expect.arrayContaining([
        "cri",
        "docker",
        "json",
        "logfmt",
        "regex",
        "labels",
        "static_labels",
        "timestamp",
        "output",
        "replace",
        "template",
        "drop",
        "limit",
        "multiline",
        "match",
        "structured_metadata",
        "labeldrop",
        "labelallow",
      ]),
    );
  });
});
