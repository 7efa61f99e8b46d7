import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbLabelName, arbText, arbTimestampNs } from "../../../wire/loki/push.testlib.js";
import type { CheckedStream } from "./log-streams.js";
import { decodeLogRecord, LogRecordEncoder, LogRecordError } from "./record-codec.js";

const arbLabels = fc
  .uniqueArray(
    fc.tuple(
      arbLabelName,
      arbText.filter((v) => v !== ""),
    ),
    {
      selector: (p) => p[0],
      minLength: 1,
      maxLength: 5,
    },
  )
  .map((pairs) => pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));

const arbEntry = fc.record(
  {
    tsNs: arbTimestampNs,
    line: arbText,
    metadata: fc.array(fc.tuple(arbLabelName, arbText), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ["tsNs", "line"] },
);

/** Streams with distinct label sets, as `checkStreams` hands them to the encoder. */
const arbStreams: fc.Arbitrary<CheckedStream[]> = fc.uniqueArray(
  fc.record({ labels: arbLabels, entries: fc.array(arbEntry, { maxLength: 8 }) }),
  { selector: (s) => JSON.stringify(s.labels), maxLength: 5 },
);

function encodeAll(streams: CheckedStream[], recordBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  new LogRecordEncoder(recordBytes, 1 << 20).encode(
    streams,
    (p) => out.push(p.slice()),
    () => {
      throw new Error("nothing is too large here");
    },
  );
  return out;
}

/** The text of a string as UTF-8 would carry it (lone surrogates become U+FFFD). */
function utf8(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}

describe("log record codec (properties)", () => {
  it("decodes what it encodes, per stream in order, whatever the record size", () => {
    fc.assert(
      fc.property(arbStreams, fc.integer({ min: 16, max: 4096 }), (streams, recordBytes) => {
        const want = new Map<string, unknown[]>();
        for (const s of streams) {
          want.set(
            JSON.stringify(s.labels.map(([n, v]) => [n, utf8(v)])),
            s.entries.map((e) => [e.tsNs, utf8(e.line), e.metadata?.map(([n, v]) => [n, utf8(v)])]),
          );
        }
        const got = new Map<string, unknown[]>();
        for (const p of encodeAll(streams, recordBytes)) {
          const rec = decodeLogRecord(p);
          let n = 0;
          for (const s of rec.streams) {
            const key = JSON.stringify(s.labels);
            const list = got.get(key) ?? [];
            got.set(key, list);
            for (const e of s.entries) list.push([e.timestampNs, e.line, e.structuredMetadata]);
            n += s.entries.length;
          }
          expect(n).toBe(rec.entries);
        }
        for (const [k, v] of [...want]) if (v.length === 0) want.delete(k);
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it("throws only LogRecordError for damaged or random bytes", () => {
    const valid = fc
      .tuple(arbStreams, fc.integer({ min: 64, max: 1024 }))
      .map(([s, n]) => encodeAll(s, n))
      .filter((rs) => rs.length > 0)
      .map((rs) => rs[0]!);
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => {
        const c = Uint8Array.from(b);
        if (c.length > 0) c[0] = 1;
        return c;
      }),
      fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
        const c = Uint8Array.from(b);
        c[at % c.length] = v;
        return c;
      }),
      fc.tuple(valid, fc.nat()).map(([b, n]) => b.slice(0, n % b.length)),
    );
    fc.assert(
      fc.property(damaged, (bytes) => {
        try {
          decodeLogRecord(bytes);
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(LogRecordError);
          expect((err as Error).message).toMatch(/log record/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
