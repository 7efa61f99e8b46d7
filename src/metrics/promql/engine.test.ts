import { describe, expect, it } from "vitest";
import { newCtx } from "../../model/context.js";
import type { Labels } from "../../model/labels.js";
import { STALE_NAN } from "../../model/stale.js";
import { Engine } from "./engine.js";
import {
  BadQueryError,
  ExecutionError,
  ParseError,
  QueryCanceledError,
  QueryTimeoutError,
} from "./errors.js";
import { MemoryQueryable } from "./testing/memory-queryable.js";
import { ctx, M, mat, requests, S, vec } from "./testing/results.js";

describe("Engine: literals and result types", () => {
  const engine = new Engine();
  const q = new MemoryQueryable();

  it.each([
    ["1 + 2 * 3", 7],
    ["2 ^ 3 ^ 2", 512],
    ["-2 ^ 2", -4],
    ["10 % 3", 1],
    ["1 / 0", Number.POSITIVE_INFINITY],
    ["0 / 0", Number.NaN],
    ["1 == bool 1", 1],
    ["2 < bool 1", 0],
    ["0 atan2 -1", Math.PI],
    ["time()", 100],
    ["pi()", Math.PI],
    ["scalar(vector(5))", 5],
    ["0x10 + 010", 24],
    ["5m", 300],
  ] as const)("%s", async (query, want) => {
    const r = await engine.instantQuery(ctx, q, query, 100 * S);
    expect(r.resultType).toBe("scalar");
    if (r.resultType === "scalar") {
      expect(r.t).toBe(100 * S);
      expect(r.v).toBe(want);
    }
  });

  it("returns strings", async () => {
    const r = await engine.instantQuery(ctx, q, '"hello"', 5 * S);
    expect(r).toEqual({ resultType: "string", t: 5 * S, v: "hello", warnings: [] });
  });

  it("returns a scalar range query as one series without labels", async () => {
    expect(mat(await engine.rangeQuery(ctx, q, "time() * 2", 0, 20 * S, 10 * S))).toEqual({
      "{}": [
        [0, 0],
        [10 * S, 20],
        [20 * S, 40],
      ],
    });
  });

  it("rejects range queries of range vectors and strings, and bad steps", async () => {
    await expect(engine.rangeQuery(ctx, q, "foo[5m]", 0, 10, 1)).rejects.toThrow(BadQueryError);
    await expect(engine.rangeQuery(ctx, q, '"s"', 0, 10, 1)).rejects.toThrow(
      /invalid expression type "string" for range query/,
    );
    await expect(engine.rangeQuery(ctx, q, "1", 0, 10, 0)).rejects.toThrow(
      /zero or negative query resolution step/,
    );
    await expect(engine.rangeQuery(ctx, q, "1", 10, 0, 1)).rejects.toThrow(
      /end timestamp must not be before start time/,
    );
    await expect(engine.instantQuery(ctx, q, "foo{", 0)).rejects.toThrow(ParseError);
  });
});

describe("Engine: selectors, lookback, staleness, offset, @", () => {
  const engine = new Engine();
  const q = new MemoryQueryable()
    .add({ __name__: "m", a: "x" }, 10 * S, 1)
    .add({ __name__: "m", a: "x" }, 20 * S, 2)
    .add({ __name__: "m", a: "x" }, 30 * S, STALE_NAN)
    .add({ __name__: "m", a: "x" }, 40 * S, 4)
    .add({ __name__: "m", a: "y" }, 10 * S, 10)
    .add({ __name__: "other" }, 0, 7);

  it.each([
    ["m", 10 * S, { 'm{a="x"}': 1, 'm{a="y"}': 10 }],
    ['m{a="x"}', 25 * S, { 'm{a="x"}': 2 }],
    ['m{a!="x"}', 25 * S, { 'm{a="y"}': 10 }],
    ['m{a=~"x|z"}', 25 * S, { 'm{a="x"}': 2 }],
    ['m{a!~"x"}', 25 * S, { 'm{a="y"}': 10 }],
    ['{__name__=~"m|other"}', 5 * S, { other: 7 }],
    ['{a="y"}', 15 * S, { 'm{a="y"}': 10 }],
    // A stale marker ends the series until the next sample.
    ['m{a="x"}', 30 * S, {}],
    ['m{a="x"}', 35 * S, {}],
    ['m{a="x"}', 40 * S, { 'm{a="x"}': 4 }],
    // The lookback window is 5 minutes, open at its start.
    ['m{a="y"}', 10 * S + 5 * M - 1, { 'm{a="y"}': 10 }],
    ['m{a="y"}', 10 * S + 5 * M, {}],
    // Offsets move the evaluation time back (or forward when negative).
    ['m{a="x"} offset 15s', 35 * S, { 'm{a="x"}': 2 }],
    ['m{a="x"} offset -20s', 5 * S, { 'm{a="x"}': 2 }],
    ['m{a="x"} offset -5s', 5 * S, { 'm{a="x"}': 1 }],
    // @ fixes the evaluation time.
    ['m{a="x"} @ 20', 1000 * S, { 'm{a="x"}': 2 }],
    ['m{a="x"} @ 45 offset 25s', 0, { 'm{a="x"}': 2 }],
    // Range selectors skip stale markers.
    ['count_over_time(m{a="x"}[1m])', 40 * S, { '{a="x"}': 3 }],
    ['last_over_time(m{a="x"}[1m])', 35 * S, { 'm{a="x"}': 2 }],
  ] as const)("%s at %d", async (query, t, want) => {
    expect(vec(await engine.instantQuery(ctx, q, query, t))).toEqual(want);
  });

  it("returns range vectors from instant queries, window open at its start", async () => {
    expect(mat(await engine.instantQuery(ctx, q, 'm{a="x"}[30s]', 40 * S))).toEqual({
      'm{a="x"}': [
        [20 * S, 2],
        [40 * S, 4],
      ],
    });
  });

  it("evaluates @ start() and @ end() against the range query's bounds", async () => {
    expect(mat(await engine.rangeQuery(ctx, q, 'm{a="x"} @ start()', 20 * S, 40 * S, 10 * S))).toEqual({
      'm{a="x"}': [
        [20 * S, 2],
        [30 * S, 2],
        [40 * S, 2],
      ],
    });
    expect(mat(await engine.rangeQuery(ctx, q, 'm{a="x"} @ end()', 10 * S, 40 * S, 15 * S))).toEqual({
      'm{a="x"}': [
        [10 * S, 4],
        [25 * S, 4],
        [40 * S, 4],
      ],
    });
  });

  it("steps a range query, leaving gaps where a series has no value", async () => {
    expect(mat(await engine.rangeQuery(ctx, q, 'm{a="x"}', 0, 50 * S, 10 * S))).toEqual({
      'm{a="x"}': [
        [10 * S, 1],
        [20 * S, 2],
        [40 * S, 4],
        [50 * S, 4],
      ],
    });
  });

  it("selects each selector once, over exactly the range evaluation reads", async () => {
    const store = requests();
    await engine.rangeQuery(
      ctx,
      store,
      "rate(http_requests_total[5m] offset 1h) + http_requests_total",
      2 * 3600 * S,
      3 * 3600 * S,
      M,
    );
    expect(store.selects).toEqual([
      { matchers: ['__name__="http_requests_total"'], mint: 3600 * S - 5 * M + 1, maxt: 3 * 3600 * S },
      { matchers: ['__name__="http_requests_total"'], mint: 3600 * S - 5 * M + 1, maxt: 3 * 3600 * S },
    ]);
  });
});

describe("Engine: limits and cancellation", () => {
  const many = new MemoryQueryable();
  for (let i = 0; i < 100; i++) many.addSeries({ __name__: "x", i: String(i) }, 0, 15 * S, Array(40).fill(1));

  it("fails a query that holds too many samples, naming the limit", async () => {
    const engine = new Engine({ maxSamples: 50 });
    await expect(engine.instantQuery(ctx, many, "x", 0)).rejects.toThrow(
      /too many samples into memory in query execution \(limit: 50 samples\).*maxSamples/,
    );
    await expect(engine.instantQuery(ctx, many, "sum(x)", 0)).rejects.toThrow(ExecutionError);
    await expect(new Engine({ maxSamples: 150 }).instantQuery(ctx, many, "sum(x)", 0)).resolves.toBeDefined();
  });

  it("stops when the caller aborts", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      new Engine().instantQuery(newCtx(["t"], { signal: ac.signal }), many, "x", 0),
    ).rejects.toThrow(QueryCanceledError);
  });

  it("times out past its deadline", async () => {
    const expired = { tenants: ["t"], signal: new AbortController().signal, deadline: Date.now() - 1 };
    await expect(new Engine().instantQuery(expired, many, "x", 0)).rejects.toThrow(QueryTimeoutError);
    await expect(new Engine({ timeoutMs: -1 }).rangeQuery(ctx, many, "x", 0, 600 * S, S)).rejects.toThrow(
      /timed out.*timeoutMs/,
    );
  });
});

describe("Engine: delayed name removal", () => {
  const q = new MemoryQueryable().add({ __name__: "m_total", env: "1" }, 0, 1);

  it("lets label_replace see and keep a name that rate will drop", async () => {
    const engine = new Engine({ delayedNameRemoval: true });
    const r = await engine.instantQuery(
      ctx,
      q,
      'label_replace(m_total * 2, "__name__", "x_$1", "__name__", "(.*)")',
      0,
    );
    expect(vec(r)).toEqual({ 'x_m_total{env="1"}': 2 });
    expect(vec(await engine.instantQuery(ctx, q, "m_total * 2", 0))).toEqual({ '{env="1"}': 2 });
    const eager = new Engine();
    expect(
      vec(
        await eager.instantQuery(
          ctx,
          q,
          'label_replace(m_total * 2, "__name__", "x_$1", "__name__", "(.*)")',
          0,
        ),
      ),
    ).toEqual({
      'x_{env="1"}': 2,
    });
  });
});

describe("Engine: result shape", () => {
  it("sorts range query results by labels and keeps labels as Labels", async () => {
    const q = new MemoryQueryable()
      .add({ __name__: "b" }, 0, 1)
      .add({ __name__: "a", z: "1" }, 0, 2)
      .add({ __name__: "a" }, 0, 3);
    const r = await new Engine().rangeQuery(ctx, q, '{__name__=~"a|b"} or vector(5)', 0, 0, S);
    if (r.resultType !== "matrix") throw new Error("matrix expected");
    const names = r.series.map((s: { labels: Labels }) => String(s.labels));
    expect(names).toEqual(["a", 'a{z="1"}', "b"]); // vector(5) matches "a" on its (empty) labels
    expect(r.warnings).toEqual([]);
  });
});
