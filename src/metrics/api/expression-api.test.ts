import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSeed } from "../../test-support/seed.js";

/** `/api/v1/format_query` and `/api/v1/parse_query` over HTTP, with Prometheus's shapes. */
describe("format_query and parse_query", () => {
  let s: Awaited<ReturnType<typeof startTestSeed>>;
  beforeAll(async () => {
    s = await startTestSeed({}, "metrics");
  });
  afterAll(() => s?.stop());

  async function call(path: string, query: string, method: "GET" | "POST" = "GET") {
    const init: RequestInit =
      method === "GET"
        ? { headers: { "x-scope-orgid": "t" } }
        : {
            method,
            headers: { "x-scope-orgid": "t", "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ query }).toString(),
          };
    const qs = method === "GET" ? `?query=${encodeURIComponent(query)}` : "";
    const res = await fetch(`${s.url}${path}${qs}`, init);
    return { status: res.status, body: await res.text() };
  }

  it.each([
    ["foo/bar", "foo / bar"],
    ["sum(rate(x[5m])) by (job) # the rate", "sum by (job) (rate(x[5m]))"],
    ['x{b="2",a=~"1"} offset 5m', 'x{a=~"1",b="2"} offset 5m'],
  ])("formats %s", async (query, formatted) => {
    for (const method of ["GET", "POST"] as const) {
      expect(await call("/api/v1/format_query", query, method)).toEqual({
        status: 200,
        body: JSON.stringify({ status: "success", data: formatted }),
      });
    }
  });

  it("prettifies a long query over several lines and escapes HTML as Go does", async () => {
    const name = `metric_with_a_long_name_${"x".repeat(50)}`;
    const res = await call("/api/v1/format_query", `sum by (job) (${name}{a="<&>"}) / count(${name})`);
    expect(res.body).toBe(
      `{"status":"success","data":"  sum by (job) (${name}{a=\\"\\u003c\\u0026\\u003e\\"})\\n/\\n  count(${name})"}`,
    );
  });

  it("answers 400 naming the parameter when the query does not parse", async () => {
    for (const path of ["/api/v1/format_query", "/api/v1/parse_query"]) {
      const res = await call(path, "sum(");
      expect(res.status).toBe(400);
      const body = JSON.parse(res.body) as { errorType: string; error: string };
      expect(body.errorType).toBe("bad_data");
      expect(body.error).toMatch(/^invalid parameter "query": 1:5: parse error: /);
    }
  });

  it("returns the syntax tree as Prometheus's translateAST, keys sorted", async () => {
    const res = await call(
      "/api/v1/parse_query",
      'sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1m)) / on (job) group_left (team) -count(up @ start()) > bool 0.5',
    );
    expect(res.status).toBe(200);
    const sel = (name: string, matchers: object[], extra: object = {}) => ({
      anchored: false,
      matchers: [...matchers, { name: "__name__", type: "=", value: name }],
      name,
      offset: 0,
      smoothed: false,
      startOrEnd: null,
      timestamp: null,
      ...extra,
    });
    const expected = {
      status: "success",
      data: {
        bool: true,
        lhs: {
          bool: false,
          lhs: {
            expr: {
              args: [
                {
                  ...sel("http_requests_total", [{ name: "code", type: "=~", value: "5.." }], {
                    offset: 60_000,
                  }),
                  range: 300_000,
                  type: "matrixSelector",
                },
              ],
              func: { argTypes: ["matrix"], name: "rate", returnType: "vector", variadic: 0 },
              type: "call",
            },
            grouping: ["job"],
            op: "sum",
            param: null,
            type: "aggregation",
            without: false,
          },
          matching: {
            card: "many-to-one",
            fillValues: { lhs: null, rhs: null },
            include: ["team"],
            labels: ["job"],
            on: true,
          },
          op: "/",
          rhs: {
            expr: {
              expr: { ...sel("up", [], { startOrEnd: "start" }), type: "vectorSelector" },
              grouping: [],
              op: "count",
              param: null,
              type: "aggregation",
              without: false,
            },
            op: "-",
            type: "unaryExpr",
          },
          type: "binaryExpr",
        },
        // A scalar side: no vector matching.
        matching: null,
        op: ">",
        rhs: { type: "numberLiteral", val: "0.5" },
        type: "binaryExpr",
      },
    };
    expect(JSON.parse(res.body)).toEqual(expected);
    // Go writes map keys sorted and escapes `>` in strings, so the text itself matches too.
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v;
    const data = JSON.stringify(sorted(expected.data)).replace('"op":">"', '"op":"\\u003e"');
    expect(res.body).toBe(`{"status":"success","data":${data}}`);
  });

  it.each([
    ["1e21", { type: "numberLiteral", val: "1000000000000000000000" }],
    ['"a<b"', { type: "stringLiteral", val: "a<b" }],
    [
      "(time())",
      {
        expr: {
          args: [],
          func: { argTypes: [], name: "time", returnType: "scalar", variadic: 0 },
          type: "call",
        },
        type: "parenExpr",
      },
    ],
    [
      "max_over_time(x[1h:5m] @ 100)",
      {
        args: [
          {
            expr: {
              anchored: false,
              matchers: [{ name: "__name__", type: "=", value: "x" }],
              name: "x",
              offset: 0,
              smoothed: false,
              startOrEnd: null,
              timestamp: null,
              type: "vectorSelector",
            },
            offset: 0,
            range: 3_600_000,
            startOrEnd: null,
            step: 300_000,
            timestamp: 100_000,
            type: "subquery",
          },
        ],
        func: { argTypes: ["matrix"], name: "max_over_time", returnType: "vector", variadic: 0 },
        type: "call",
      },
    ],
    [
      'topk(3, x) and ignoring (a) label_join(y, "d", ",", "a", "b")',
      {
        bool: false,
        lhs: {
          expr: {
            anchored: false,
            matchers: [{ name: "__name__", type: "=", value: "x" }],
            name: "x",
            offset: 0,
            smoothed: false,
            startOrEnd: null,
            timestamp: null,
            type: "vectorSelector",
          },
          grouping: [],
          op: "topk",
          param: { type: "numberLiteral", val: "3" },
          type: "aggregation",
          without: false,
        },
        matching: {
          card: "many-to-many",
          fillValues: { lhs: null, rhs: null },
          include: [],
          labels: ["a"],
          on: false,
        },
        op: "and",
        rhs: {
          args: [
            {
              anchored: false,
              matchers: [{ name: "__name__", type: "=", value: "y" }],
              name: "y",
              offset: 0,
              smoothed: false,
              startOrEnd: null,
              timestamp: null,
              type: "vectorSelector",
            },
            { type: "stringLiteral", val: "d" },
            { type: "stringLiteral", val: "," },
            { type: "stringLiteral", val: "a" },
            { type: "stringLiteral", val: "b" },
          ],
          func: {
            argTypes: ["vector", "string", "string", "string"],
            name: "label_join",
            returnType: "vector",
            variadic: -1,
          },
          type: "call",
        },
        type: "binaryExpr",
      },
    ],
  ])("parses %s", async (query, tree) => {
    const res = await call("/api/v1/parse_query", query, "POST");
    expect(JSON.parse(res.body)).toEqual({ status: "success", data: tree });
  });

  it("shows the experimental anchored/smoothed selectors and fill modifiers as Prometheus does", async () => {
    const res = await call("/api/v1/parse_query", "rate(x[5m] smoothed) * fill_right(0) y");
    const data = (JSON.parse(res.body) as { data: Record<string, unknown> }).data;
    expect(data.matching).toEqual({
      card: "one-to-one",
      fillValues: { lhs: null, rhs: 0 },
      include: [],
      labels: [],
      on: false,
    });
    expect((data.lhs as { args: object[] }).args[0]).toMatchObject({
      type: "matrixSelector",
      anchored: false,
      smoothed: true,
    });
    expect(data.rhs).toMatchObject({ type: "vectorSelector", anchored: false, smoothed: false });
  });
});
