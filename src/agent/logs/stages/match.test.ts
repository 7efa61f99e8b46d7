import { describe, expect, it } from "vitest";
import { compilePipeline } from "./compile.js";
import { type Entry, newEntry } from "./entry.js";

function entry(line: string, labels: Record<string, string>): Entry {
  return newEntry(line, 1n, new Map(Object.entries(labels)));
}

describe("match stage", () => {
  const p = compilePipeline([
    {
      match: {
        selector: '{app="api"}',
        pipeline_name: "api logs",
        stages: [
          { json: { expressions: { level: "" } } },
          { labels: { level: "" } },
          { match: { selector: '{level="debug"}', action: "drop", drop_counter_reason: "api_debug" } },
        ],
      },
    },
    { match: { selector: '{app=~"web|proxy"} |= "healthz" != "error"', action: "drop" } },
    { static_labels: { seen: "yes" } },
  ]);

  const cases: {
    name: string;
    line: string;
    labels: Record<string, string>;
    want?: Record<string, string>;
  }[] = [
    {
      name: "selected: nested stages run, later stages too",
      line: '{"level":"info"}',
      labels: { app: "api" },
      want: { app: "api", level: "info", seen: "yes" },
    },
    { name: "nested drop action", line: '{"level":"debug"}', labels: { app: "api" } },
    {
      name: "not selected: passes unchanged",
      line: '{"level":"debug"}',
      labels: { app: "db" },
      want: { app: "db", seen: "yes" },
    },
    { name: "drop by selector with line filters", line: "GET /healthz 200", labels: { app: "web" } },
    {
      name: "line filter not matching keeps",
      line: "GET /healthz error",
      labels: { app: "proxy" },
      want: { app: "proxy", seen: "yes" },
    },
    {
      name: "regex matcher is anchored",
      line: "GET /healthz 200",
      labels: { app: "webapp" },
      want: { app: "webapp", seen: "yes" },
    },
  ];

  it.each(cases)("$name", ({ line, labels, want }) => {
    const before = new Map(p.dropped);
    const out = p.process(entry(line, labels), 0);
    if (want === undefined) {
      expect(out).toEqual([]);
      const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      expect(total(p.dropped)).toBe(total(before) + 1);
    } else {
      expect(out).toHaveLength(1);
      expect(Object.fromEntries(out[0]!.labels)).toEqual(want);
      expect(out[0]!.line).toBe(line);
    }
  });

  it("counts drops by reason", () => {
    const q = compilePipeline([
      {
        match: {
          selector: '{a="1"}',
          stages: [{ match: { selector: '{a="1"}', action: "drop", drop_counter_reason: "inner" } }],
        },
      },
      { match: { selector: '{a="2"}', action: "drop" } },
    ]);
    q.process(entry("x", { a: "1" }), 0);
    q.process(entry("x", { a: "2" }), 0);
    q.process(entry("x", { a: "2" }), 0);
    q.process(entry("x", { a: "3" }), 0);
    expect(Object.fromEntries(q.dropped)).toEqual({ inner: 1, match_stage: 2 });
  });

  it("a multiline nested in match is flushed, and its blocks continue after the match", () => {
    const q = compilePipeline([
      {
        match: {
          selector: '{app="java"}',
          stages: [{ multiline: { firstline: "^\\d", max_wait_time: "1s" } }],
        },
      },
      { static_labels: { after: "1" } },
    ]);
    expect(q.process(entry("1 start", { app: "java" }), 0)).toEqual([]);
    expect(q.process(entry("  at x", { app: "java" }), 0)).toEqual([]);
    expect(q.process(entry("plain", { app: "go" }), 0).map((e) => e.line)).toEqual(["plain"]);
    const out = q.flush(2000);
    expect(out.map((e) => [e.line, e.labels.get("after")])).toEqual([["1 start\n  at x", "1"]]);
  });
});
