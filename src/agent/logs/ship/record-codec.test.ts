import { describe, expect, it } from "vitest";
import { type CheckedStream, checkStreams, type LogEntry, normalizeLabels } from "./log-streams.js";
import {
  type DecodedLogRecord,
  decodeLogRecord,
  LOG_RECORD_VERSION,
  LogRecordEncoder,
  LogRecordError,
  logRecordEntryCount,
} from "./record-codec.js";

/** Encodes `streams` and returns the records with their entry counts, and the too-large ones. */
function encode(streams: CheckedStream[], recordBytes = 1 << 20, maxRecordBytes = 1 << 20) {
  const enc = new LogRecordEncoder(recordBytes, maxRecordBytes);
  const records: { payload: Uint8Array; entries: number }[] = [];
  const tooLarge: LogEntry[] = [];
  enc.encode(
    streams,
    (payload, entries) => records.push({ payload: payload.slice(), entries }),
    (e) => tooLarge.push(e),
  );
  return { records, tooLarge };
}

/** The entries of decoded records per label set, in order: `name=value,…` → [ts, line, md][] */
function flatten(recs: DecodedLogRecord[]): Map<string, [bigint, string, [string, string][] | undefined][]> {
  const out = new Map<string, [bigint, string, [string, string][] | undefined][]>();
  for (const r of recs) {
    for (const s of r.streams) {
      const key = s.labels.map(([n, v]) => `${n}=${v}`).join(",");
      const list = out.get(key) ?? [];
      out.set(key, list);
      for (const e of s.entries) list.push([e.timestampNs, e.line, e.structuredMetadata]);
    }
  }
  return out;
}

const APP: [string, string][] = [
  ["app", "web"],
  ["namespace", "default"],
];

describe("log record codec", () => {
  it("round-trips streams with metadata, unicode and extreme timestamps", () => {
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
          { tsNs: -(2n ** 63n), line: "min" },
          { tsNs: 2n ** 63n - 1n, line: "max" },
          { tsNs: 0n, line: "zero" },
        ],
      },
    ];
    const { records, tooLarge } = encode(streams);
    expect(tooLarge).toEqual([]);
    expect(records).toHaveLength(1);
    const rec = decodeLogRecord(records[0]!.payload);
    expect(rec.entries).toBe(6);
    expect(records[0]!.entries).toBe(6);
    expect(logRecordEntryCount(records[0]!.payload)).toBe(6);
    expect(rec.streams.map((s) => s.labels)).toEqual([APP, [["job", "x"]]]);
    expect(rec.streams[0]!.entries).toEqual([
      { timestampNs: 1_700_000_000_000_000_000n, line: "GET / 200" },
      {
        timestampNs: 1_700_000_000_000_000_123n,
        line: "é😀\u0000\n",
        structuredMetadata: [["trace_id", "abc"]],
      },
      { timestampNs: 1_699_999_999_000_000_000n, line: "" },
    ]);
    expect(rec.streams[0]!.sizes).toEqual([9, 8 + 8 + 3, 0]);
    expect(rec.streams[1]!.entries.map((e) => e.timestampNs)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 0n]);
  });

  it("writes each stream's labels once per record, not per line", () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n,
      line: "x",
    }));
    const { records } = encode([{ labels: APP, entries }]);
    // Header 9, label table 27 and entry count 4 once; the first entry 9 (absolute timestamp) + 3;
    // then 5 bytes per entry: a 2-byte delta (1000 ns), the length, the line, no metadata.
    expect(records[0]!.payload.length).toBe(9 + 27 + 4 + 12 + 99 * 5);
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
    const decoded = records.map((r) => decodeLogRecord(r.payload));
    expect(decoded.reduce((n, r) => n + r.entries, 0)).toBe(50);
    const flat = flatten(decoded);
    expect(flat.get("app=web,namespace=default")!.map((e) => e[1])).toEqual(
      entries.slice(0, 25).map((e) => e.line),
    );
    expect(flat.get("job=b")!.map((e) => e[0])).toEqual(entries.slice(25).map((e) => e.tsNs));
    for (const r of decoded) for (const s of r.streams) expect(s.entries.length).toBeGreaterThan(0);
  });

  it("gives an entry larger than recordBytes a record of its own, and refuses one past maxRecordBytes", () => {
    const big = "b".repeat(500);
    const huge = "h".repeat(5000);
    const { records, tooLarge } = encode(
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
    expect(tooLarge.map((e) => e.line)).toEqual([huge]);
    const decoded = records.map((r) => decodeLogRecord(r.payload));
    expect(
      flatten(decoded)
        .get("app=web,namespace=default")!
        .map((e) => e[1]),
    ).toEqual(["a", big, "c"]);
    // The stream whose only entry was refused leaves no empty stream behind.
    expect(flatten(decoded).has("job=only-huge")).toBe(false);
  });

  it.each([
    ["an empty record", new Uint8Array(0), "empty"],
    ["another version", Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0), "version 2 is not known"],
    ["a short header", Uint8Array.of(LOG_RECORD_VERSION, 0, 0), "shorter than its header"],
    ["too many streams for its size", Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0, 9), "9 streams cannot fit"],
    ["too many entries for its size", Uint8Array.of(1, 0, 0, 1, 0, 0, 0, 0, 0), "256 entries cannot fit"],
    [
      "an entry total that does not add up",
      Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0),
      "the header says 1 entries, the streams hold 0",
    ],
  ])("refuses %s with a LogRecordError", (_name, bytes, text) => {
    expect(() => decodeLogRecord(bytes)).toThrow(LogRecordError);
    expect(() => decodeLogRecord(bytes)).toThrow(text);
  });

  it("refuses every truncation and trailing bytes of a valid record", () => {
    const { records } = encode([
      { labels: APP, entries: [{ tsNs: 1_700_000_000_000_000_000n, line: "hello", metadata: [["k", "v"]] }] },
    ]);
    const p = records[0]!.payload;
    for (let n = 0; n < p.length; n++)
      expect(() => decodeLogRecord(p.subarray(0, n))).toThrow(LogRecordError);
    const longer = new Uint8Array(p.length + 1);
    longer.set(p);
    expect(() => decodeLogRecord(longer)).toThrow("1 bytes left over");
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
