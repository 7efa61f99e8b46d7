import { describe, expect, it } from "vitest";
import { Engine } from "./engine.js";
import { MemoryQueryable } from "./testing/memory-queryable.js";
import { ctx, mat, requests, S, vec } from "./testing/results.js";

describe("Engine: rate and friends", () => {
  const engine = new Engine();
  const q = requests();

  it("extrapolates rate to the window edges", async () => {
    // At 300 s the window (0, 300] holds samples 15 s … 300 s: 10 … 200, average spacing 15 s.
    // The first sample is 15 s from the start (< 1.1 × 15 s), so extrapolate all the way:
    // 190 × 300 / 285 = 200 over 300 s.
    const r = vec(await engine.instantQuery(ctx, q, 'rate(http_requests_total{instance="0"}[5m])', 300 * S));
    expect(r['{instance="0", job="api"}']).toBeCloseTo(200 / 300, 12);
  });

  it("handles counter resets in increase", async () => {
    // Instance 1 at 345 s, window (285, 345]: 380 @300, 400 @315? No — 400 is at 300 s (i = 20);
    // samples: i=20 → 400 @300, i=21 → 20 @315, i=22 → 40 @330, i=23 → 60 @345.
    // Raw increase: 60 − 400 + 400 (reset) = 60; 45 s sampled; start gap 15 s → ×60/45 = 80.
    const r = vec(
      await engine.instantQuery(ctx, q, 'increase(http_requests_total{instance="1"}[1m])', 345 * S),
    );
    expect(r['{instance="1", job="api"}']).toBeCloseTo(80, 9);
  });

  it("does not extrapolate a counter below zero", async () => {
    const store = new MemoryQueryable().addSeries({ __name__: "c" }, 50 * S, 10 * S, [2, 12, 22]);
    // Window (0, 80]: samples at 50, 60, 70; 20 s sampled, increase 20. The gap to the start (50 s)
    // exceeds 1.1 × 10 s, so half an interval (5 s) would do, but the counter would reach zero
    // 2 s before the first sample: extrapolate 2 s. The gap to the end (10 s) is within 1.1 × 10 s:
    // extrapolate all of it. 20 × (20 + 2 + 10) / 20 = 32.
    const r = vec(await engine.instantQuery(ctx, store, "increase(c[80s])", 80 * S));
    expect(r["{}"]).toBeCloseTo(32, 9);
  });

  it.each([
    ["irate", 'irate(http_requests_total{instance="1"}[1m])', 315 * S, 20 / 15],
    ["idelta", 'idelta(http_requests_total{instance="0"}[1m])', 300 * S, 10],
    ["delta", 'delta(http_requests_total{instance="0"}[1m])', 60 * S, 40],
    ["resets", 'resets(http_requests_total{instance="1"}[10m])', 600 * S, 1],
    ["changes", 'changes(http_requests_total{instance="0"}[1m])', 60 * S, 3],
    ["deriv", 'deriv(http_requests_total{instance="0"}[2m])', 120 * S, 10 / 15],
    ["predict_linear", 'predict_linear(http_requests_total{instance="0"}[2m], 60)', 120 * S, 80 + 40],
  ] as const)("%s", async (_name, query, t, want) => {
    const r = vec(await engine.instantQuery(ctx, q, query, t));
    expect(Object.values(r)).toHaveLength(1);
    expect(Object.values(r)[0]).toBeCloseTo(want, 9);
  });

  it.each([
    ["sum_over_time", 10 + 20 + 30 + 40],
    ["avg_over_time", 25],
    ["min_over_time", 10],
    ["max_over_time", 40],
    ["count_over_time", 4],
    ["last_over_time", 40],
    ["present_over_time", 1],
    ["stdvar_over_time", 125],
    ["stddev_over_time", Math.sqrt(125)],
  ] as const)("%s", async (fn, want) => {
    const r = await engine.instantQuery(ctx, q, `${fn}(http_requests_total{instance="0"}[1m])`, 60 * S);
    expect(Object.values(vec(r))[0]).toBeCloseTo(want, 9);
  });

  it("quantile_over_time interpolates between ranks", async () => {
    const r = await engine.instantQuery(
      ctx,
      q,
      'quantile_over_time(0.5, http_requests_total{instance="0"}[1m])',
      60 * S,
    );
    expect(Object.values(vec(r))[0]).toBe(25);
  });

  it("drops the metric name except for last_over_time", async () => {
    const r = await engine.instantQuery(
      ctx,
      q,
      'last_over_time(http_requests_total{instance="0"}[1m])',
      60 * S,
    );
    expect(Object.keys(vec(r))).toEqual(['http_requests_total{instance="0", job="api"}']);
  });

  it("evaluates rate over a range query step by step", async () => {
    const r = mat(
      await engine.rangeQuery(ctx, q, 'rate(http_requests_total{instance="0"}[1m])', 60 * S, 180 * S, 60 * S),
    );
    expect(r['{instance="0", job="api"}']!.map(([t, v]) => [t, Number(v.toFixed(9))])).toEqual([
      [60 * S, 0.666666667],
      [120 * S, 0.666666667],
      [180 * S, 0.666666667],
    ]);
  });

  it("evaluates subqueries at multiples of their step", async () => {
    // rate over 1m is 2/3 per second for instance 0 everywhere it is defined.
    const r = vec(
      await engine.instantQuery(
        ctx,
        q,
        'max_over_time(rate(http_requests_total{instance="0"}[1m])[5m:1m])',
        400 * S,
      ),
    );
    expect(r['{instance="0", job="api"}']).toBeCloseTo(2 / 3, 9);
    const points = mat(
      await engine.instantQuery(ctx, q, 'http_requests_total{instance="0"}[2m:1m]', 150 * S),
    );
    expect(points['http_requests_total{instance="0", job="api"}']).toEqual([
      [60 * S, 40],
      [120 * S, 80],
    ]);
  });
});
