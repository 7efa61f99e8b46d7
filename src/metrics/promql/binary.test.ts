import { describe, expect, it } from "vitest";
import { Engine } from "./engine.js";
import { ExecutionError } from "./errors.js";
import { MemoryQueryable } from "./testing/memory-queryable.js";
import { ctx, vec } from "./testing/results.js";

describe("Engine: binary operators and vector matching", () => {
  const engine = new Engine();
  const q = new MemoryQueryable()
    .add({ __name__: "errors", job: "api", code: "500" }, 0, 5)
    .add({ __name__: "errors", job: "api", code: "503" }, 0, 3)
    .add({ __name__: "errors", job: "db", code: "500" }, 0, 1)
    .add({ __name__: "total", job: "api" }, 0, 100)
    .add({ __name__: "total", job: "db" }, 0, 50)
    .add({ __name__: "info", job: "api", team: "red" }, 0, 1)
    .add({ __name__: "info", job: "db", team: "blue" }, 0, 1);

  it.each([
    ["total * 2", { '{job="api"}': 200, '{job="db"}': 100 }],
    ["2 - total", { '{job="api"}': -98, '{job="db"}': -48 }],
    ["total > 60", { 'total{job="api"}': 100 }],
    ["60 < total", { 'total{job="api"}': 100 }],
    ["total > bool 60", { '{job="api"}': 1, '{job="db"}': 0 }],
    ["-total", { '{job="api"}': -100, '{job="db"}': -50 }],
    ["total / on (job) total", { '{job="api"}': 1, '{job="db"}': 1 }],
    ['errors{code="500"} / ignoring (code) total', { '{job="api"}': 0.05, '{job="db"}': 0.02 }],
    [
      "errors / ignoring (code) group_left total",
      { '{code="500", job="api"}': 0.05, '{code="503", job="api"}': 0.03, '{code="500", job="db"}': 0.02 },
    ],
    [
      "total / ignoring (code) group_right errors",
      { '{code="500", job="api"}': 20, '{code="503", job="api"}': 100 / 3, '{code="500", job="db"}': 50 },
    ],
    [
      "total * on (job) group_left (team) info",
      { '{job="api", team="red"}': 100, '{job="db", team="blue"}': 50 },
    ],
    [
      "errors and on (job) total > 60",
      { 'errors{code="500", job="api"}': 5, 'errors{code="503", job="api"}': 3 },
    ],
    ["errors unless on (job) total > 60", { 'errors{code="500", job="db"}': 1 }],
    [
      'total or errors{job="api"}',
      {
        'total{job="api"}': 100,
        'total{job="db"}': 50,
        'errors{code="500", job="api"}': 5,
        'errors{code="503", job="api"}': 3,
      },
    ],
    ['total{job="api"} or on (job) total', { 'total{job="api"}': 100, 'total{job="db"}': 50 }],
    ["total == total", { 'total{job="api"}': 100, 'total{job="db"}': 50 }],
    ["total != total", {}],
  ] as const)("%s", async (query, want) => {
    const r = vec(await engine.instantQuery(ctx, q, query, 0));
    expect(Object.keys(r).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) expect(r[k]).toBeCloseTo(v, 12);
  });

  it("rejects many-to-many and implicit many-to-one matching", async () => {
    await expect(engine.instantQuery(ctx, q, "total / ignoring (code) errors", 0)).rejects.toThrow(
      'found duplicate series for the match group {job="api"} on the right hand-side of the operation: [{__name__="errors", code="500", job="api"}, {__name__="errors", code="503", job="api"}];many-to-many matching not allowed: matching labels must be unique on one side',
    );
    await expect(engine.instantQuery(ctx, q, "errors / ignoring (code) total", 0)).rejects.toThrow(
      "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
    );
    await expect(engine.instantQuery(ctx, q, "total + ignoring (job) total", 0)).rejects.toThrow(
      ExecutionError,
    );
  });

  it("rejects results that collide once names are dropped", async () => {
    await expect(
      engine.instantQuery(ctx, q, '{__name__=~"total|info", job="api", team=""} * 1 or {__name__="x"}', 0),
    ).resolves.toBeDefined();
    const collide = new MemoryQueryable()
      .add({ __name__: "a", l: "1" }, 0, 1)
      .add({ __name__: "b", l: "1" }, 0, 2);
    await expect(engine.instantQuery(ctx, collide, '{l="1"} * 2', 0)).rejects.toThrow(
      "vector cannot contain metrics with the same labelset",
    );
    await expect(engine.instantQuery(ctx, collide, 'abs({l="1"})', 0)).rejects.toThrow(
      "vector cannot contain metrics with the same labelset",
    );
  });
});
