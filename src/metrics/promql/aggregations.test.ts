import { describe, expect, it } from "vitest";
import { Engine } from "./engine.js";
import { MemoryQueryable } from "./testing/memory-queryable.js";
import { ctx, order, vec } from "./testing/results.js";

describe("Engine: aggregations", () => {
  const engine = new Engine();
  const q = new MemoryQueryable();
  const add = (job: string, instance: string, v: number): void => {
    q.add({ __name__: "up", job, instance }, 0, v);
  };
  add("api", "a", 1);
  add("api", "b", 4);
  add("api", "c", 7);
  add("db", "a", 2);
  add("db", "b", Number.NaN);

  it.each([
    ["sum(up)", { "{}": Number.NaN }],
    ["sum by (job) (up)", { '{job="api"}': 12, '{job="db"}': Number.NaN }],
    ['sum without (instance) (up{job="api"})', { '{job="api"}': 12 }],
    ['avg by (job) (up{job="api"})', { '{job="api"}': 4 }],
    ["count by (job) (up)", { '{job="api"}': 3, '{job="db"}': 2 }],
    ["min by (job) (up)", { '{job="api"}': 1, '{job="db"}': 2 }],
    ["max by (job) (up)", { '{job="api"}': 7, '{job="db"}': 2 }],
    ["group by (job) (up)", { '{job="api"}': 1, '{job="db"}': 1 }],
    ['stdvar(up{job="api"})', { "{}": 6 }],
    ['stddev(up{job="api"})', { "{}": Math.sqrt(6) }],
    ['quantile(0.25, up{job="api"})', { "{}": 2.5 }],
    ['count_values("value", up{job="api"} > 1)', { '{value="4"}': 1, '{value="7"}': 1 }],
    [
      'count_values by (job) ("v", up)',
      {
        '{job="api", v="1"}': 1,
        '{job="api", v="4"}': 1,
        '{job="api", v="7"}': 1,
        '{job="db", v="2"}': 1,
        '{job="db", v="NaN"}': 1,
      },
    ],
    ["sum by (job) (up) > 5", { '{job="api"}': 12 }],
  ] as const)("%s", async (query, want) => {
    expect(vec(await engine.instantQuery(ctx, q, query, 0))).toEqual(want);
  });

  it("topk and bottomk keep labels, order by value and rank NaN last", async () => {
    expect(order(await engine.instantQuery(ctx, q, "topk(2, up)", 0))).toEqual([
      'up{instance="c", job="api"}',
      'up{instance="b", job="api"}',
    ]);
    expect(order(await engine.instantQuery(ctx, q, "bottomk(2, up)", 0))).toEqual([
      'up{instance="a", job="api"}',
      'up{instance="a", job="db"}',
    ]);
    expect(vec(await engine.instantQuery(ctx, q, 'topk by (job) (1, up{job="db"})', 0))).toEqual({
      'up{instance="a", job="db"}': 2,
    });
    expect(vec(await engine.instantQuery(ctx, q, "topk(0, up)", 0))).toEqual({});
    await expect(engine.instantQuery(ctx, q, "topk(NaN, up)", 0)).rejects.toThrow("Parameter value is NaN");
  });

  it("sort and sort_desc order instant results", async () => {
    expect(order(await engine.instantQuery(ctx, q, 'sort(up{job="api"})', 0))).toEqual([
      'up{instance="a", job="api"}',
      'up{instance="b", job="api"}',
      'up{instance="c", job="api"}',
    ]);
    expect(order(await engine.instantQuery(ctx, q, "sort_desc(up)", 0)).at(-1)).toBe(
      'up{instance="b", job="db"}',
    );
  });
});
