import { describe, expect, it } from "vitest";
import { parseExpr } from "../promql/index.js";
import { prettyExpr } from "./promql-pretty.js";

// Cases of Prometheus's promql/parser/prettier_test.go, which prettifies with a 10-byte line.
const SHORT_LINE = 10;

describe("prettyExpr", () => {
  it.each([
    ["sum(foo)", "sum(foo)"],
    ['sum by() (task:errors:rate10s{job="s"})', 'sum(\n  task:errors:rate10s{job="s"}\n)'],
    [
      'sum(task:errors:rate10s{job="s"}) without(job,foo)',
      'sum without (job, foo) (\n  task:errors:rate10s{job="s"}\n)',
    ],
    ['topk(10, ask:errors:rate10s{job="s"})', 'topk(\n  10,\n  ask:errors:rate10s{job="s"}\n)'],
    [
      'sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"}))',
      'sum by (job, foo) (\n  sum by (job, foo) (\n    task:errors:rate10s{job="s"}\n  )\n)',
    ],
    ["a+b", "a + b"],
    ["a == bool 1", "  a\n== bool\n  1"],
    ["a + ignoring(job) b", "  a\n+ ignoring (job)\n  b"],
    ["foo_1 + foo_2 + foo_3", "    foo_1\n  +\n    foo_2\n+\n  foo_3"],
    ["foo + baar + foo_3", "  foo + baar\n+\n  foo_3"],
    [
      "foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3 + on(instance) group_right foo_4",
      "      foo_1\n    + ignoring (foo)\n      foo_2\n  + ignoring (job) group_left ()\n    foo_3\n+ on (instance) group_right ()\n  foo_4",
    ],
    ["rate(foo[1m])", "rate(\n  foo[1m]\n)"],
    [
      "rate(long_vector_selector[10m:1m] @ start() offset 1m)",
      "rate(\n  long_vector_selector[10m:1m] @ start() offset 1m\n)",
    ],
    [
      "max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start() offset 1m)",
      "max_over_time(\n  rate(\n    demo_api_request_duration_seconds_count[1m]\n  )[1m:] @ start() offset 1m\n)",
    ],
    [
      'label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*")',
      'label_replace(\n  up{job="api-server",service="a:c"},\n  "foo",\n  "$1",\n  "service",\n  "(.*):.*"\n)',
    ],
    ["((foo_long))", "(\n  (foo_long)\n)"],
    ["((_foo_long_))", "(\n  (\n    _foo_long_\n  )\n)"],
    ["a @ 1", "a @ 1.000"],
    ["(foo_long + bar_long)", "(\n    foo_long\n  +\n    bar_long\n)"],
    ["(-vector_selector)", "(\n  -vector_selector\n)"],
    [
      "-histogram_quantile(0.99, sum by (le) (rate(foo[1m])))",
      "-histogram_quantile(\n  0.99,\n  sum by (le) (\n    rate(\n      foo[1m]\n    )\n  )\n)",
    ],
    [
      '(count by (job) (changes(process_start_time_seconds{job="alertmanager"}[10m]) > 4) / count by (job) (up{job="alertmanager"})) >= 0.5',
      '  (\n      count by (job) (\n          changes(\n            process_start_time_seconds{job="alertmanager"}[10m]\n          )\n        >\n          4\n      )\n    /\n      count by (job) (\n        up{job="alertmanager"}\n      )\n  )\n>=\n  0.5',
    ],
  ])("%s", (query, expected) => {
    expect(prettyExpr(parseExpr(query), SHORT_LINE)).toBe(expected);
  });

  it("keeps an expression of up to 100 bytes on one line, and drops comments", () => {
    expect(prettyExpr(parseExpr("foo/bar # the ratio"))).toBe("foo / bar");
    // The rate() call is 92 bytes: it stays whole inside the split aggregation (108 bytes).
    const name = `${"a".repeat(60)}_total`;
    const long = `sum by (job) (rate(${name}{code=~"5.."}[5m]))`;
    expect(prettyExpr(parseExpr(long))).toBe(`sum by (job) (\n  rate(${name}{code=~"5.."}[5m])\n)`);
  });
});
