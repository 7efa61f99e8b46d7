import { describe, expect, it } from "vitest";
import type { PushEntry } from "../../../wire/loki/index.js";
import { type CheckedStream, checkStreams, normalizeLabels } from "./log-streams.js";
import {
  indexLogRecord,
  LOG_RECORD_VERSION,
  LogRecordEncoder,
  LogRecordError,
  logRecordEntryCount,
  type RefusedReason,
  StreamKeyCache,
} from "./record-codec.js";
import { LogRecordEncoderV1 } from "./record-v1.testlib.js";
import { recordToPush } from "./ship.testlib.js";

/** Encodes `streams` (through `entry`) and returns the records with their entry counts, and the refused. */
function encode(streams: CheckedStream[], recordBytes = 1 << 20, maxRecordBytes = 1 << 20) {
  const records: { payload: Uint8Array; entries: number }[] = [];
  const refused: [RefusedReason, number][] = [];
  const enc = new LogRecordEncoder(
    recordBytes,
    maxRecordBytes,
    (payload, entries) => records.push({ payload: payload.slice(), entries }),
    (reason, bytes) => refused.push([reason, bytes]),
  );
  for (const s of streams) {
    enc.stream(s.labels);
    for (const e of s.entries) enc.entry(e.tsNs, e.line, e.metadata);
  }
  enc.finish();
  return { records, refused };
}

/** The entries of records per stream (selector text), in order, as the seed's decoder reads them. */
function flatten(payloads: Uint8Array[]): Map<string, PushEntry[]> {
  const out = new Map<string, PushEntry[]>();
  for (const p of payloads) {
    for (const s of recordToPush(indexLogRecord(p)).streams) {
      const list = out.get(s.labels) ?? [];
      out.set(s.labels, list);
      list.push(...s.entries);
    }
  }
  return out;
}

const APP: [string, string][] = [
  ["app", "web"],
  ["namespace", "default"],
];
const APP_TEXT = '{app="web", namespace="default"}';
/** google.protobuf.Timestamp's range, which Loki enforces. */
const MIN_NS = -62135596800n * 1_000_000_000n;
const MAX_NS = 253402300799n * 1_000_000_000n + 999_999_999n;

describe("log record codec", () => {
  it("round-trips streams with metadata, unicode and the extreme timestamps Loki takes, as push entries", () => {
    const streams: CheckedStream[] = [
      {
        labels: APP,
        entries: [
          { tsNs: 1_700_000_000_000_000_000n, line: "GET / 200" },
          { tsNs: 1_700_000_000_000_000_123n, line: "é😀\u0000\n", metadata: [["trace_id", "abc"]] },
          { tsNs: 1_699_999_999_000_000_000n, line: "" },
        ],
      },
      {
        labels: [["job", "x"]],
        entries: [
          { tsNs: MIN_NS, line: "min" },
          { tsNs: MAX_NS, line: "max" },
          { tsNs: 0n, line: "zero" },
          { tsNs: -1n, line: "just before 1970" },
        ],
      },
    ];
    const { records, refused } = encode(streams);
    expect(refused).toEqual([]);
    expect(records).toHaveLength(1);
    const rec = indexLogRecord(records[0]!.payload);
    expect(rec.entries).toBe(7);
    expect(records[0]!.entries).toBe(7);
    expect(logRecordEntryCount(records[0]!.payload)).toBe(7);
    expect(rec.streams.map((s) => [s.key.text, s.entries])).toEqual([
      [APP_TEXT, 3],
      ['{job="x"}', 4],
    ]);
    const push = recordToPush(rec);
    expect(push.streams[0]!.entries).toEqual([
      { timestampNs: 1_700_000_000_000_000_000n, line: "GET / 200" },
      {
        timestampNs: 1_700_000_000_000_000_123n,
        line: "é😀\u0000\n",
        structuredMetadata: [["trace_id", "abc"]],
      },
      { timestampNs: 1_699_999_999_000_000_000n, line: "" },
    ]);
    expect(push.streams[1]!.entries.map((e) => e.timestampNs)).toEqual([MIN_NS, MAX_NS, 0n, -1n]);
  });

  it("refuses times Loki cannot hold, told as bad_timestamp, and keeps the rest", () => {
    const { records, refused } = encode([
      {
        labels: APP,
        entries: [
          { tsNs: MIN_NS - 1n, line: "before year 1" },
          { tsNs: 5n, line: "kept" },
          { tsNs: MAX_NS + 1n, line: "after 9999" },
        ],
      },
    ]);
    expect(refused).toEqual([
      ["bad_timestamp", 0],
      ["bad_timestamp", 0],
    ]);
    expect(flatten(records.map((r) => r.payload)).get(APP_TEXT)).toEqual([{ timestampNs: 5n, line: "kept" }]);
  });

  it("writes a line given as bytes exactly as the same line given as a string", () => {
    const line = "héllo wörld";
    const bytes = Buffer.concat([Buffer.from("xx"), Buffer.from(line), Buffer.from("yy")]);
    const out: Uint8Array[] = [];
    const enc = new LogRecordEncoder(
      1 << 20,
      1 << 20,
      (p) => out.push(p.slice()),
      () => {},
    );
    enc.stream(APP);
    enc.bytes(1_700_000_000_123, 456_789, new Uint8Array(bytes), 2, bytes.length - 2);
    enc.finish();
    enc.text(1_700_000_000_123, 456_789, line);
    enc.finish();
    expect(out).toHaveLength(2);
    expect(Buffer.from(out[0]!).equals(Buffer.from(out[1]!))).toBe(true);
    expect(flatten(out).get(APP_TEXT)).toEqual([
      { timestampNs: 1_700_000_000_123_456_789n, line },
      { timestampNs: 1_700_000_000_123_456_789n, line },
    ]);
  });

  it("writes each stream's labels once per record, not per line", () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n,
      line: "x",
    }));
    const { records } = encode([{ labels: APP, entries }]);
    // Header 9, label table 27 and counts 8 once. Each entry: tag and length (2), the timestamp
    // field (2 + seconds 1 + 5, then nanos 1 + 2 for i·1000 below 2^14, 1 + 3 above; none for
    // i = 0), the line field (3).
    expect(records[0]!.payload.length).toBe(9 + 27 + 8 + (2 + 8 + 3) + 16 * (2 + 11 + 3) + 83 * (2 + 12 + 3));
  });

  it("continues a stream named again with the same array, and opens it again in each record", () => {
    const out: Uint8Array[] = [];
    const enc = new LogRecordEncoder(
      120,
      1 << 20,
      (p) => out.push(p.slice()),
      () => {},
    );
    const b: [string, string][] = [["job", "b"]];
    for (let i = 0; i < 12; i++) {
      enc.stream(i % 4 < 2 ? APP : b);
      enc.text(i, 0, `line ${i}`);
    }
    enc.finish();
    expect(out.length).toBeGreaterThan(2);
    const flat = flatten(out);
    expect(flat.get(APP_TEXT)!.map((e) => e.line)).toEqual([
      "line 0",
      "line 1",
      "line 4",
      "line 5",
      "line 8",
      "line 9",
    ]);
    expect(flat.get('{job="b"}')!.map((e) => e.timestampNs)).toEqual(
      [2n, 3n, 6n, 7n, 10n, 11n].map((ms) => ms * 1_000_000n),
    );
  });

  it("cuts records at recordBytes, each with its own label table, keeping order", () => {
    const entries = Array.from({ length: 50 }, (_, i) => ({
      tsNs: BigInt(i),
      line: `line ${i} `.padEnd(40, "."),
    }));
    const streams: CheckedStream[] = [
      { labels: APP, entries: entries.slice(0, 25) },
      { labels: [["job", "b"]], entries: entries.slice(25) },
    ];
    const { records } = encode(streams, 300);
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) expect(r.payload.length).toBeLessThanOrEqual(300);
    expect(records.reduce((n, r) => n + indexLogRecord(r.payload).entries, 0)).toBe(50);
    const flat = flatten(records.map((r) => r.payload));
    expect(flat.get(APP_TEXT)!.map((e) => e.line)).toEqual(entries.slice(0, 25).map((e) => e.line));
    expect(flat.get('{job="b"}')!.map((e) => e.timestampNs)).toEqual(entries.slice(25).map((e) => e.tsNs));
    for (const r of records)
      for (const s of indexLogRecord(r.payload).streams) expect(s.entries).toBeGreaterThan(0);
  });

  it("gives an entry larger than recordBytes a record of its own, and refuses one past maxRecordBytes", () => {
    const big = "b".repeat(500);
    const huge = "h".repeat(5000);
    const { records, refused } = encode(
      [
        {
          labels: APP,
          entries: [
            { tsNs: 1n, line: "a" },
            { tsNs: 2n, line: big },
            { tsNs: 3n, line: "c" },
          ],
        },
        { labels: [["job", "only-huge"]], entries: [{ tsNs: 4n, line: huge }] },
      ],
      200,
      1000,
    );
    // The line field (1 + 2 + 5000), the timestamp field (2 + nanos 1 + 1), the entry tag and length (1 + 2).
    expect(refused).toEqual([["too_large", 5003 + 4 + 3]]);
    const flat = flatten(records.map((r) => r.payload));
    expect(flat.get(APP_TEXT)!.map((e) => e.line)).toEqual(["a", big, "c"]);
    // The stream whose only entry was refused leaves no empty stream behind.
    expect(flat.has('{job="only-huge"}')).toBe(false);
  });

  it("reads version 1 records (an older agent's queue) as the same entries", () => {
    const streams: CheckedStream[] = [
      {
        labels: APP,
        entries: [
          { tsNs: 1_700_000_000_000_000_001n, line: "one", metadata: [["k", "v"]] },
          { tsNs: 1_700_000_000_000_000_002n, line: "two" },
        ],
      },
      { labels: [["job", "x"]], entries: [{ tsNs: -(2n ** 63n), line: "int64's least" }] },
    ];
    const v1: Uint8Array[] = [];
    new LogRecordEncoderV1(1 << 20, 1 << 20).encode(
      streams,
      (p) => v1.push(p.slice()),
      () => {},
    );
    expect(v1[0]![0]).toBe(1);
    const rec = indexLogRecord(v1[0]!);
    expect(rec.payload[0]).toBe(LOG_RECORD_VERSION);
    expect(rec.entries).toBe(3);
    expect(recordToPush(rec).streams).toEqual([
      {
        labels: APP_TEXT,
        entries: [
          { timestampNs: 1_700_000_000_000_000_001n, line: "one", structuredMetadata: [["k", "v"]] },
          { timestampNs: 1_700_000_000_000_000_002n, line: "two" },
        ],
      },
      { labels: '{job="x"}', entries: [{ timestampNs: -(2n ** 63n), line: "int64's least" }] },
    ]);
  });

  it("decodes each stream's labels once while the key cache holds them", () => {
    const keys = new StreamKeyCache();
    const { records } = encode([{ labels: APP, entries: [{ tsNs: 1n, line: "a" }] }]);
    const again = encode([{ labels: APP, entries: [{ tsNs: 2n, line: "b" }] }]).records;
    const k1 = indexLogRecord(records[0]!.payload, keys).streams[0]!.key;
    const k2 = indexLogRecord(again[0]!.payload, keys).streams[0]!.key;
    expect(k2).toBe(k1);
    expect(k1.text).toBe(APP_TEXT);
  });

  it.each([
    ["an empty record", new Uint8Array(0), "empty"],
    ["another version", Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0, 0), "version 9 is not known"],
    ["a short header", Uint8Array.of(LOG_RECORD_VERSION, 0, 0), "shorter than its header"],
    ["too many streams for its size", Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 9), "9 streams cannot fit"],
    ["too many entries for its size", Uint8Array.of(2, 0, 0, 1, 0, 0, 0, 0, 0), "256 entries cannot fit"],
    [
      "an entry total that does not add up",
      Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0),
      "the header says 1 entries, the streams hold 0",
    ],
    [
      "an entry that is not an entry field",
      Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0x61, 1, 0x62, 0, 0, 0, 1, 0, 0, 0, 2, 0x0a, 0),
      "an entry starts with byte 10",
    ],
    [
      "an entry field of an unknown tag",
      Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0x61, 1, 0x62, 0, 0, 0, 1, 0, 0, 0, 4, 0x12, 2, 0x22, 0),
      "an entry has field tag 34",
    ],
  ])("refuses %s with a LogRecordError", (_name, bytes, text) => {
    expect(() => indexLogRecord(bytes)).toThrow(LogRecordError);
    expect(() => indexLogRecord(bytes)).toThrow(text);
  });

  it("refuses every truncation and trailing bytes of a valid record", () => {
    const { records } = encode([
      { labels: APP, entries: [{ tsNs: 1_700_000_000_000_000_000n, line: "hello", metadata: [["k", "v"]] }] },
    ]);
    const p = records[0]!.payload;
    for (let n = 0; n < p.length; n++) expect(() => indexLogRecord(p.subarray(0, n))).toThrow(LogRecordError);
    const longer = new Uint8Array(p.length + 1);
    longer.set(p);
    expect(() => indexLogRecord(longer)).toThrow("1 bytes left over");
  });
});

describe("stream labels", () => {
  it.each([
    [
      { b: "2", a: "1" },
      [
        ["a", "1"],
        ["b", "2"],
      ],
    ],
    [
      [
        ["z", "1"],
        ["a", ""],
        ["m", "x"],
      ],
      [
        ["m", "x"],
        ["z", "1"],
      ],
    ],
    [{ a: "" }, "at least one label"],
    [{}, "at least one label"],
    [{ "1a": "x" }, "invalid label name"],
    [{ "a-b": "x" }, "invalid label name"],
    [
      [
        ["a", "1"],
        ["a", "2"],
      ],
      "duplicate label name",
    ],
  ] as const)("normalizes %j", (input, want) => {
    const got = normalizeLabels(input as never);
    if (typeof want === "string") expect(got).toContain(want);
    else expect(got).toEqual(want);
  });

  it("merges streams with the same label set and leaves out invalid and empty ones", () => {
    const invalid: [number, string][] = [];
    const out = checkStreams(
      [
        { labels: { a: "1" }, entries: [{ tsNs: 1n, line: "x" }] },
        {
          labels: { "bad-name": "1" },
          entries: [
            { tsNs: 1n, line: "y" },
            { tsNs: 2n, line: "z" },
          ],
        },
        { labels: { b: "1" }, entries: [] },
        { labels: [["a", "1"]], entries: [{ tsNs: 2n, line: "w" }] },
      ],
      (n, why) => invalid.push([n, why]),
    );
    expect(out).toEqual([
      {
        labels: [["a", "1"]],
        entries: [
          { tsNs: 1n, line: "x" },
          { tsNs: 2n, line: "w" },
        ],
      },
    ]);
    expect(invalid).toEqual([[2, 'invalid label name "bad-name"']]);
  });
});
