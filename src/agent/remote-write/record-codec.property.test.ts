import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import type { SampleBatch } from "../sample-batch.js";
import { decodeRecord, RecordEncoder, recordSampleCount, recordToBatch } from "./record-codec.js";

const STALE_BITS = 0x7ff0000000000002n;

/** Any float64 bit pattern, NaN payloads (the stale marker among them) included. */
const float64Bits = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(STALE_BITS, 0x8000000000000000n, 0x7ff8000000000001n, 0n, 0x3ff0000000000000n),
);
const timestamp = fc.oneof(
  fc.integer({ min: 1_500_000_000_000, max: 1_900_000_000_000 }),
  fc.maxSafeInteger(),
  fc.double(),
);
const labelSet = fc
  .dictionary(
    fc.string({ minLength: 1, maxLength: 6, unit: "binary" }),
    fc.string({ minLength: 1, maxLength: 8, unit: "binary" }),
    {
      maxKeys: 5,
    },
  )
  .map((r) => Labels.fromRecord(r));

const batchArb = fc
  .record({
    series: fc.array(labelSet, { minLength: 1, maxLength: 8 }),
    samples: fc.array(fc.tuple(fc.nat(), timestamp, float64Bits), { maxLength: 200 }),
  })
  .map(({ series, samples }): SampleBatch => {
    const timestamps = new Float64Array(samples.length);
    const values = new Float64Array(samples.length);
    const bits = new BigUint64Array(values.buffer);
    const labels: Labels[] = [];
    samples.forEach(([s, t, v], i) => {
      labels.push(series[s % series.length]!);
      timestamps[i] = t;
      bits[i] = v;
    });
    return { length: samples.length, labels, timestamps, values };
  });

function bitsOf(a: Float64Array): bigint[] {
  return [...new BigUint64Array(a.buffer, a.byteOffset, a.length)];
}

describe("record codec", () => {
  it("round-trips any batch exactly (labels, timestamps and value bits)", () => {
    const enc = new RecordEncoder();
    fc.assert(
      fc.property(batchArb, (batch) => {
        const rec = enc.encode(batch);
        expect(recordSampleCount(rec)).toBe(batch.length);
        const back = recordToBatch(decodeRecord(rec));
        expect(back.length).toBe(batch.length);
        expect(back.labels.map((l) => l.key())).toEqual(batch.labels.map((l) => l.key()));
        expect(bitsOf(back.timestamps)).toEqual(bitsOf(batch.timestamps));
        expect(bitsOf(back.values)).toEqual(bitsOf(batch.values));
      }),
      { numRuns: 500 },
    );
  });

  it("encodes a slice of a batch on its own", () => {
    const enc = new RecordEncoder();
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.nat(), (batch, a, b) => {
        const from = batch.length === 0 ? 0 : a % batch.length;
        const to = from + (batch.length === 0 ? 0 : b % (batch.length - from + 1));
        const back = recordToBatch(decodeRecord(enc.encode(batch, from, to)));
        expect(back.labels.map((l) => l.key())).toEqual(batch.labels.slice(from, to).map((l) => l.key()));
        expect(bitsOf(back.values)).toEqual(bitsOf(batch.values.subarray(from, to)));
        expect(bitsOf(back.timestamps)).toEqual(bitsOf(batch.timestamps.subarray(from, to)));
      }),
      { numRuns: 200 },
    );
  });

  it("recognises a source's repeated label sets and re-encodes changed ones", () => {
    const step = fc.record({
      source: fc.nat(2),
      repeat: fc.boolean(),
      picks: fc.array(fc.nat(), { maxLength: 12 }),
      edit: fc.option(fc.tuple(fc.nat(), fc.nat())),
    });
    fc.assert(
      fc.property(
        fc.array(labelSet, { minLength: 1, maxLength: 6 }),
        fc.array(step, { minLength: 1, maxLength: 12 }),
        (pool, steps) => {
          const enc = new RecordEncoder();
          const sources = [{}, {}, {}];
          // Each source reuses one array between its batches, as a scrape loop's builder does.
          const arrays = new Map<number, Labels[]>();
          for (const st of steps) {
            const labels = arrays.get(st.source) ?? [];
            arrays.set(st.source, labels);
            if (!st.repeat) {
              labels.length = 0;
              for (const p of st.picks) labels.push(pool[p % pool.length]!);
            }
            if (st.edit !== null && labels.length > 0) {
              labels[st.edit[0] % labels.length] = pool[st.edit[1] % pool.length]!;
            }
            const n = labels.length;
            const timestamps = Float64Array.from(labels, (_, i) => 1_000 + i);
            const values = Float64Array.from(labels, (_, i) => i / 2);
            const batch: SampleBatch = { length: n, labels, timestamps, values, source: sources[st.source]! };
            const back = recordToBatch(decodeRecord(enc.encode(batch)));
            expect(back.labels.map((l) => l.key())).toEqual(labels.map((l) => l.key()));
            expect([...back.values]).toEqual([...values]);
            expect([...back.timestamps]).toEqual([...timestamps]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses damaged records with a RangeError or a snappy error, never a wrong batch silently", () => {
    const enc = new RecordEncoder();
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (batch, at, x) => {
        const rec = enc.encode(batch);
        const bad = rec.slice();
        const i = at % bad.length;
        bad[i] = bad[i]! ^ x;
        try {
          decodeRecord(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
        // Truncation always fails.
        expect(() => decodeRecord(rec.subarray(0, Math.max(2, rec.length - 1 - (at % 4))))).toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
