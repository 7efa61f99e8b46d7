import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordBuffer, RecordDecodeError } from "../../metrics/tsdb/wal/index.js";
import {
  decodeEntries,
  decodeStreams,
  encodeEntries,
  encodeStreams,
  LogRecordType,
  type WalEntry,
  type WalStream,
} from "./log-wal.js";

const str = fc.string({ unit: "grapheme", maxLength: 30 });
const entryArb: fc.Arbitrary<WalEntry> = fc.record({
  id: fc.integer({ min: 1, max: 2 ** 40 }),
  tsNs: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  line: fc.oneof(str, fc.string({ maxLength: 300 })),
  metadata: fc.option(fc.array(fc.tuple(str, str), { minLength: 1, maxLength: 3 }), { nil: undefined }),
});

describe("log WAL records", () => {
  it("ENTRIES round-trip, every int64 timestamp and any text", () => {
    const buf = new RecordBuffer(16);
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 20 }), (entries) => {
        const rec = encodeEntries(entries, buf);
        expect(rec[0]).toBe(LogRecordType.Entries);
        expect(decodeEntries(rec)).toEqual(entries);
      }),
    );
  });

  it("STREAMS round-trip", () => {
    const buf = new RecordBuffer(16);
    const streamArb: fc.Arbitrary<WalStream> = fc.record({
      id: fc.integer({ min: 1, max: 2 ** 40 }),
      labels: fc
        .uniqueArray(
          fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ minLength: 1, maxLength: 10 })),
          {
            minLength: 1,
            maxLength: 5,
            selector: ([n]) => n,
          },
        )
        .map((ls) => ls.sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    });
    fc.assert(
      fc.property(fc.array(streamArb, { maxLength: 5 }), (streams) => {
        expect(decodeStreams(encodeStreams(streams, buf))).toEqual(streams);
      }),
    );
  });

  it("refuses malformed records with RecordDecodeError", () => {
    const buf = new RecordBuffer(16);
    const good = encodeEntries([{ id: 1, tsNs: 5n, line: "abc", metadata: undefined }], buf).slice();
    const cases: [string, Uint8Array][] = [
      ["truncated", good.subarray(0, good.length - 1)],
      ["trailing bytes", Uint8Array.of(...good, 0)],
      ["wrong type", Uint8Array.of(LogRecordType.Streams, ...good.subarray(1))],
      ["huge count", Uint8Array.of(LogRecordType.Entries, 0xff, 0xff, 0x7f)],
    ];
    for (const [name, rec] of cases) expect(() => decodeEntries(rec), name).toThrow(RecordDecodeError);
    const unsorted = encodeStreams(
      [
        {
          id: 1,
          labels: [
            ["b", "1"],
            ["a", "1"],
          ],
        },
      ],
      buf,
    );
    expect(() => decodeStreams(unsorted)).toThrow(RecordDecodeError);
  });
});
