import { describe, expect, it } from "vitest";
import { compilePipeline } from "./compile.js";
import { newEntry } from "./entry.js";
import { TokenBucket } from "./limit.js";

const entry = (labels: Record<string, string> = { app: "a" }) =>
  newEntry("l", 1n, new Map(Object.entries(labels)));

describe("limit stage", () => {
  it("lets a burst through, then the rate, on the caller's clock", () => {
    const p = compilePipeline([{ limit: { rate: 2, burst: 3 } }]);
    const passed = (now: number) => p.process(entry(), now).length;
    expect([passed(0), passed(0), passed(0), passed(0)]).toEqual([1, 1, 1, 0]);
    expect(passed(250)).toBe(0); // half a token
    expect(passed(500)).toBe(1); // one token after 0.5 s at 2/s
    expect(passed(500)).toBe(0);
    expect([passed(10_000), passed(10_000), passed(10_000), passed(10_000)]).toEqual([1, 1, 1, 0]); // capped at burst
    expect(p.dropped.get("ratelimit")).toBe(4);
  });

  it("by_label_name keeps a bucket per value; lines without the label are not limited", () => {
    const p = compilePipeline([{ limit: { rate: 1, burst: 1, by_label_name: "app", drop: true } }]);
    expect(p.process(entry({ app: "a" }), 0)).toHaveLength(1);
    expect(p.process(entry({ app: "a" }), 0)).toHaveLength(0);
    expect(p.process(entry({ app: "b" }), 0)).toHaveLength(1);
    expect(p.process(entry({ other: "x" }), 0)).toHaveLength(1);
    expect(p.process(entry({ other: "x" }), 0)).toHaveLength(1);
    expect(p.process(entry({ app: "a" }), 1000)).toHaveLength(1);
  });

  it("max_distinct_labels forgets the least recently used bucket", () => {
    const p = compilePipeline([
      { limit: { rate: 0.001, burst: 1, by_label_name: "app", max_distinct_labels: 2 } },
    ]);
    expect(p.process(entry({ app: "a" }), 0)).toHaveLength(1);
    expect(p.process(entry({ app: "b" }), 0)).toHaveLength(1);
    expect(p.process(entry({ app: "a" }), 0)).toHaveLength(0); // a is now the most recent
    expect(p.process(entry({ app: "c" }), 0)).toHaveLength(1); // evicts b
    expect(p.process(entry({ app: "a" }), 0)).toHaveLength(0); // a kept its empty bucket
    expect(p.process(entry({ app: "b" }), 0)).toHaveLength(1); // b starts afresh
  });

  it("a clock going backwards adds no tokens", () => {
    const b = new TokenBucket(1, 1);
    expect(b.take(5000)).toBe(true);
    expect(b.take(1000)).toBe(false);
    expect(b.take(5999)).toBe(false);
    expect(b.take(6000)).toBe(true);
  });
});
