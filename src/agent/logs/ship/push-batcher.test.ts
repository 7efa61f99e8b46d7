import { describe, expect, it } from "vitest";
import { decodePushRequestProto } from "../../../wire/loki/index.js";
import { pushUrlOf, resolveLogShipperConfig } from "./config.js";
import { type BatchRef, encodePushRequest, PushBatcher } from "./push-batcher.js";
import { type IndexedRecord, indexLogRecord, LogRecordEncoder } from "./record-codec.js";

/**
 * A record of `streams`: name → lines (times 1, 2, … ns per stream). A line of 2 characters takes
 * 10 bytes: tag and length 2, timestamp field 4 (nanos only), line field 4.
 */
function rec(streams: Record<string, string[]>): IndexedRecord {
  let out = new Uint8Array(0);
  const enc = new LogRecordEncoder(
    1 << 20,
    1 << 20,
    (p) => {
      out = p.slice();
    },
    () => {},
  );
  for (const [app, lines] of Object.entries(streams)) {
    enc.stream([["app", app]]);
    for (const [i, line] of lines.entries()) enc.text(0, i + 1, line);
  }
  enc.finish();
  return indexLogRecord(out);
}

/** The request `b.take(max)` makes, as the seed decodes it: `labels: line line …` per stream. */
function shape(b: PushBatcher, max: number): string[] | undefined {
  const push = b.take(max);
  if (push === undefined) return undefined;
  return decodePushRequestProto(encodePushRequest(push)).streams.map(
    (s) => `${s.labels}: ${s.entries.map((e) => e.line).join(" ")}`,
  );
}

describe("PushBatcher", () => {
  it("merges records by label set, cuts at the byte limit in order, and counts entries per batch", () => {
    const b = new PushBatcher();
    const r1: BatchRef = { token: 1, open: 4 };
    const r2: BatchRef = { token: 2, open: 3 };
    b.add(rec({ a: ["a1", "a2"], b: ["b1", "b2"] }), r1, 100);
    b.add(rec({ a: ["a3", "a4"], c: ["c1"] }), r2, 200);
    expect(b.bytes).toBe(70);
    expect(b.entries).toBe(7);
    expect(b.oldestAppendedAt).toBe(100);
    // 50 bytes are five entries: a1 a2 b1 b2 of the first record and a3 of the second.
    const p1 = b.take(50)!;
    expect(decodePushRequestProto(encodePushRequest(p1)).streams).toEqual([
      {
        labels: '{app="a"}',
        entries: [
          { timestampNs: 1n, line: "a1" },
          { timestampNs: 2n, line: "a2" },
          { timestampNs: 1n, line: "a3" },
        ],
      },
      {
        labels: '{app="b"}',
        entries: [
          { timestampNs: 1n, line: "b1" },
          { timestampNs: 2n, line: "b2" },
        ],
      },
    ]);
    expect([...p1.from]).toEqual([
      [r1, 4],
      [r2, 1],
    ]);
    expect(p1).toMatchObject({ entries: 5, bytes: 50 });
    expect(b.oldestAppendedAt).toBe(200);
    expect(b.entries).toBe(2);
    const p2 = b.take(50)!;
    expect(
      decodePushRequestProto(encodePushRequest(p2)).streams.map((s) => [
        s.labels,
        s.entries.map((e) => e.line),
      ]),
    ).toEqual([
      ['{app="a"}', ["a4"]],
      ['{app="c"}', ["c1"]],
    ]);
    expect([...p2.from]).toEqual([[r2, 2]]);
    expect(b.take(50)).toBeUndefined();
    expect(b.bytes).toBe(0);
  });

  it("takes one entry larger than the limit alone", () => {
    const b = new PushBatcher();
    b.add(rec({ a: ["x".repeat(50), "y"] }), { token: 1, open: 2 }, 0);
    expect(shape(b, 10)).toEqual([`{app="a"}: ${"x".repeat(50)}`]);
    expect(shape(b, 10)).toEqual(['{app="a"}: y']);
  });

  it("cuts in the middle of a stream and goes on from there", () => {
    const b = new PushBatcher();
    b.add(rec({ a: ["a1", "a2", "a3", "a4", "a5"] }), { token: 1, open: 5 }, 0);
    expect(shape(b, 25)).toEqual(['{app="a"}: a1 a2']);
    expect(shape(b, 25)).toEqual(['{app="a"}: a3 a4']);
    expect(shape(b, 25)).toEqual(['{app="a"}: a5']);
    expect(b.entries).toBe(0);
  });

  it("keeps every line in order while its buffer is reused, compacted and grown between takes", () => {
    const b = new PushBatcher();
    const want = new Map<string, string[]>();
    const got = new Map<string, string[]>();
    let n = 0;
    for (let round = 0; round < 200; round++) {
      // Records of 1–3 streams with lines of varied length, so that the buffer fills unevenly.
      const streams: Record<string, string[]> = {};
      for (let k = 0; k < 1 + (round % 3); k++) {
        const app = `s${(round + k) % 4}`;
        streams[app] = Array.from(
          { length: 1 + ((round * 7 + k) % 9) },
          () => `${app}-${n++}-${"x".repeat(n % 300)}`,
        );
        want.set(`{app="${app}"}`, [...(want.get(`{app="${app}"}`) ?? []), ...streams[app]!]);
      }
      b.add(rec(streams), { token: round, open: 0 }, round);
      // Take less than was added most rounds, more in others: the buffer holds a varying backlog.
      for (let t = 0; t < (round % 5 === 0 ? 3 : 1); t++) {
        const push = b.take(300 + (round % 4) * 400);
        if (push === undefined) break;
        for (const st of decodePushRequestProto(encodePushRequest(push)).streams)
          got.set(st.labels, [...(got.get(st.labels) ?? []), ...st.entries.map((e) => e.line)]);
      }
    }
    for (let push = b.take(1 << 20); push !== undefined; push = b.take(1 << 20))
      for (const st of decodePushRequestProto(encodePushRequest(push)).streams)
        got.set(st.labels, [...(got.get(st.labels) ?? []), ...st.entries.map((e) => e.line)]);
    expect(got).toEqual(want);
    expect(b.entries).toBe(0);
    expect(b.bytes).toBe(0);
  });

  it("writes into the scratch buffer when it is large enough", () => {
    const b = new PushBatcher();
    b.add(rec({ a: ["a1"] }), { token: 1, open: 1 }, 0);
    const scratch = Buffer.alloc(100);
    const body = encodePushRequest(b.take(100)!, scratch);
    expect(body.buffer).toBe(scratch.buffer);
    expect(decodePushRequestProto(body).streams).toEqual([
      { labels: '{app="a"}', entries: [{ timestampNs: 1n, line: "a1" }] },
    ]);
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
