import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatStreamLabels } from "../../../wire/loki/index.js";
import { arbLabelName, arbText, arbTimestampNs } from "../../../wire/loki/push.testlib.js";
import type { CheckedStream } from "./log-streams.js";
import { indexLogRecord, LogRecordEncoder, LogRecordError } from "./record-codec.js";
import { recordToPush } from "./ship.testlib.js";

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

/**
 * Encodes `streams` into records of about `recordBytes`. Entries without metadata go in as bytes
 * (`LogRecordEncoder.bytes`, split into ms and ns) when `asBytes` says so, the others as strings.
 */
function encodeAll(
  streams: CheckedStream[],
  recordBytes: number,
  asBytes: (i: number) => boolean,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const enc = new LogRecordEncoder(
    recordBytes,
    1 << 20,
    (p) => out.push(p.slice()),
    () => {
      throw new Error("nothing is refused here");
    },
  );
  let i = 0;
  for (const s of streams) {
    enc.stream(s.labels);
    for (const e of s.entries) {
      if (e.metadata === undefined && asBytes(i++)) {
        const b = Buffer.from(`<${e.line}>`, "utf8");
        const ms = e.tsNs / 1_000_000n - (e.tsNs % 1_000_000n < 0n ? 1n : 0n);
        enc.bytes(Number(ms), Number(e.tsNs - ms * 1_000_000n), b, 1, b.length - 1);
      } else enc.entry(e.tsNs, e.line, e.metadata);
    }
  }
  enc.finish();
  return out;
}

/** The text of a string as UTF-8 would carry it (lone surrogates become U+FFFD). */
function utf8(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}

describe("log record codec (properties)", () => {
  it("the seed's decoder reads what it encodes, per stream in order, whatever the record size", () => {
    fc.assert(
      fc.property(
        arbStreams,
        fc.integer({ min: 16, max: 4096 }),
        fc.func(fc.boolean()),
        (streams, recordBytes, asBytes) => {
          const want = new Map<string, unknown[]>();
          for (const s of streams) {
            want.set(
              formatStreamLabels(s.labels),
              s.entries.map((e) => [e.tsNs, utf8(e.line), e.metadata?.map(([n, v]) => [n, utf8(v)])]),
            );
          }
          const got = new Map<string, unknown[]>();
          for (const p of encodeAll(streams, recordBytes, asBytes)) {
            const rec = indexLogRecord(p);
            let n = 0;
            for (const s of recordToPush(rec).streams) {
              const list = got.get(s.labels) ?? [];
              got.set(s.labels, list);
              for (const e of s.entries) list.push([e.timestampNs, e.line, e.structuredMetadata]);
              n += s.entries.length;
            }
            expect(n).toBe(rec.entries);
          }
          for (const [k, v] of [...want]) if (v.length === 0) want.delete(k);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("throws only LogRecordError for damaged or random bytes", () => {
    const valid = fc
      .tuple(arbStreams, fc.integer({ min: 64, max: 1024 }))
      .map(([s, n]) => encodeAll(s, n, () => false))
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
          indexLogRecord(bytes);
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(LogRecordError);
          expect((err as Error).message).toMatch(/log record/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
