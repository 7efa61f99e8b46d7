import { describe, expect, it } from "vitest";
import { pushUrlOf, resolveLogShipperConfig } from "./config.js";
import { type BatchRef, PushBatcher } from "./push-batcher.js";
import type { DecodedLogRecord } from "./record-codec.js";

/** A record of `streams`: name → lines (timestamps 1, 2, … per stream). */
function rec(streams: Record<string, string[]>): DecodedLogRecord {
  let entries = 0;
  const out = Object.entries(streams).map(([app, lines]) => {
    entries += lines.length;
    return {
      labels: [["app", app]] as [string, string][],
      entries: lines.map((line, i) => ({ timestampNs: BigInt(i + 1), line })),
      sizes: lines.map((l) => Buffer.byteLength(l)),
    };
  });
  return { entries, streams: out };
}

/** A request as `labels: line line …` strings. */
function shape(b: PushBatcher, max: number): string[] | undefined {
  return b.take(max)?.request.streams.map((s) => `${s.labels}: ${s.entries.map((e) => e.line).join(" ")}`);
}

describe("PushBatcher", () => {
  it("merges records by label set, cuts at the byte limit in order, and counts entries per batch", () => {
    const b = new PushBatcher();
    const r1: BatchRef = { token: 1, open: 4 };
    const r2: BatchRef = { token: 2, open: 3 };
    b.add(rec({ a: ["a1", "a2"], b: ["b1", "b2"] }), r1, 100);
    b.add(rec({ a: ["a3", "a4"], c: ["c1"] }), r2, 200);
    expect(b.bytes).toBe(14);
    expect(b.entries).toBe(7);
    expect(b.oldestAppendedAt).toBe(100);
    // 10 bytes are five 2-byte lines: a1 a2 b1 b2 of the first record and a3 of the second.
    const p1 = b.take(10)!;
    expect(p1.request.streams.map((s) => [s.labels, s.entries.map((e) => e.line)])).toEqual([
      ['{app="a"}', ["a1", "a2", "a3"]],
      ['{app="b"}', ["b1", "b2"]],
    ]);
    expect([...p1.from]).toEqual([
      [r1, 4],
      [r2, 1],
    ]);
    expect(p1).toMatchObject({ entries: 5, bytes: 10 });
    expect(b.oldestAppendedAt).toBe(200);
    const p2 = b.take(10)!;
    expect(p2.request.streams.map((s) => [s.labels, s.entries.map((e) => e.line)])).toEqual([
      ['{app="a"}', ["a4"]],
      ['{app="c"}', ["c1"]],
    ]);
    expect([...p2.from]).toEqual([[r2, 2]]);
    expect(b.take(10)).toBeUndefined();
    expect(b.bytes).toBe(0);
  });

  it("takes one entry larger than the limit alone", () => {
    const b = new PushBatcher();
    b.add(rec({ a: ["x".repeat(50), "y"] }), { token: 1, open: 2 }, 0);
    expect(shape(b, 10)).toEqual([`{app="a"}: ${"x".repeat(50)}`]);
    expect(shape(b, 10)).toEqual(['{app="a"}: y']);
  });

  it("hands everything waiting over to be dropped, per batch", () => {
    const b = new PushBatcher();
    const r1: BatchRef = { token: 1, open: 3 };
    const r2: BatchRef = { token: 2, open: 1 };
    b.add(rec({ a: ["a1", "a2"], b: ["b1"] }), r1, 0);
    b.add(rec({ c: ["c1"] }), r2, 0);
    b.take(2);
    const all = b.takeAll();
    expect(all.entries).toBe(3);
    expect([...all.from]).toEqual([
      [r1, 2],
      [r2, 1],
    ]);
    expect(b.entries).toBe(0);
    expect(b.take(100)).toBeUndefined();
  });
});

describe("log shipper config", () => {
  it.each([
    ["https://seed:8443", "https://seed:8443/loki/api/v1/push"],
    ["https://seed:8443/", "https://seed:8443/loki/api/v1/push"],
    ["http://127.0.0.1:1/prefix", "http://127.0.0.1:1/prefix/loki/api/v1/push"],
    ["http://127.0.0.1:1/loki/api/v1/push", "http://127.0.0.1:1/loki/api/v1/push"],
  ])("pushes %s to %s", (url, want) => {
    expect(pushUrlOf(url)).toBe(want);
  });

  it.each([
    [{ url: "not a url" }, "is not a URL"],
    [{ batchWaitMs: -1 }, "batch_wait must be a number > 0"],
    [{ minBackoffMs: 10, maxBackoffMs: 5 }, "min_period (10 ms) is above max_period (5 ms)"],
    [{ headers: { "Content-Type": "x" } }, "may not set Content-Type"],
  ])("refuses %j", (extra, text) => {
    expect(() => resolveLogShipperConfig({ url: "http://127.0.0.1:1", dir: "/tmp/x", ...extra })).toThrow(
      text,
    );
  });
});
