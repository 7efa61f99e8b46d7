import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { isStaleNaN, STALE_NAN, STALE_NAN_BITS } from "../../../model/stale.js";
import { RecordDecodeError } from "./errors.js";
import {
  Cursor,
  decodeSamples,
  decodeSeries,
  decodeTruncation,
  encodeSamples,
  encodeSeries,
  encodeTruncation,
  RecordBuffer,
  RecordType,
  recordType,
  SampleBatch,
} from "./records.js";

const bits = (values: Float64Array, i: number): bigint => new BigUint64Array(values.buffer)[i]!;

/** A batch from columns; values given as raw bits so the test never holds NaNs in a plain array. */
function batchOf(refs: number[], ts: number[], valueBits: bigint[]): SampleBatch {
  const b = new SampleBatch(1);
  b.reserve(refs.length);
  const raw = new BigUint64Array(b.values.buffer);
  for (let i = 0; i < refs.length; i++) {
    b.refs[i] = refs[i]!;
    b.ts[i] = ts[i]!;
    raw[i] = valueBits[i]!;
  }
  b.length = refs.length;
  return b;
}

describe("varints", () => {
  // Zigzag varints as Go's binary.PutVarint writes them.
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [-2, [0x03]],
    [63, [0x7e]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [-65, [0x81, 0x01]],
    [2 ** 53 - 1, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
    [-(2 ** 53 - 1), [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  ];
  it.each(cases)("varint %d", (n, want) => {
    const out = new RecordBuffer();
    out.varint(n);
    expect([...out.bytes()]).toEqual(want);
  });

  it("refuses what is not a safe integer", () => {
    const out = new RecordBuffer();
    expect(() => out.uvarint(-1)).toThrow(RangeError);
    expect(() => out.uvarint(2 ** 53)).toThrow(RangeError);
    expect(() => out.varint(0.5)).toThrow(RangeError);
  });
});

describe("strings and int64s", () => {
  it("round-trips any string, whatever its UTF-8 length prefix turns out to be (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 300 }), { maxLength: 8 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (strings, v) => {
          const out = new RecordBuffer(16);
          for (const s of strings) out.string(s);
          out.int64BE(v);
          const bytes = out.bytes();
          const c = new Cursor(bytes);
          for (const s of strings) expect(c.string()).toBe(s);
          expect(Buffer.from(bytes.subarray(c.pos)).readBigInt64BE(0)).toBe(v);
        },
      ),
    );
  });

  it("hands out views whose slice is a copy", () => {
    const out = new RecordBuffer(16);
    out.string("x".repeat(200));
    const copy = out.bytes().slice();
    out.reset();
    out.string("y".repeat(200));
    expect(new Cursor(copy).string()).toBe("x".repeat(200));
  });
});

describe("SERIES records", () => {
  it("round-trips a known record byte for byte", () => {
    const out = new RecordBuffer(1);
    const rec = encodeSeries([{ ref: 300, labels: Labels.fromRecord({ __name__: "up", job: "é" }) }], out);
    expect([...rec]).toEqual([
      RecordType.Series,
      0xac,
      0x02, // ref 300
      2, // labels
      8,
      ..."__name__".split("").map((c) => c.charCodeAt(0)),
      2,
      0x75,
      0x70,
      3,
      0x6a,
      0x6f,
      0x62,
      2,
      0xc3,
      0xa9,
    ]);
    const [s] = decodeSeries(rec);
    expect(s?.ref).toBe(300);
    expect(s?.labels.equals(Labels.fromRecord({ __name__: "up", job: "é" }))).toBe(true);
  });

  it("round-trips any series (property)", () => {
    const label = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });
    const series = fc.array(
      fc.record({
        ref: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
        labels: fc.dictionary(label, label, { maxKeys: 8 }).map((r) => Labels.fromRecord(r)),
      }),
      { maxLength: 20 },
    );
    const out = new RecordBuffer(8);
    fc.assert(
      fc.property(series, (want) => {
        const rec = encodeSeries(want, out);
        expect(recordType(rec)).toBe(RecordType.Series);
        const got = decodeSeries(rec);
        expect(got.length).toBe(want.length);
        got.forEach((s, i) => {
          expect(s.ref).toBe(want[i]!.ref);
          expect(s.labels.pairs).toEqual(want[i]!.labels.pairs);
        });
      }),
    );
  });

  it("refuses labels out of order and every truncation", () => {
    const out = new RecordBuffer();
    out.u8(RecordType.Series);
    out.uvarint(1);
    out.uvarint(2);
    for (const s of ["b", "1", "a", "2"]) out.string(s);
    expect(() => decodeSeries(out.bytes())).toThrow(/not sorted/);

    const rec = encodeSeries([{ ref: 7, labels: Labels.fromRecord({ a: "x", bb: "yy" }) }], out).slice();
    for (let n = 2; n < rec.length; n++) {
      expect(() => decodeSeries(rec.subarray(0, n)), `prefix ${n}`).toThrow(RecordDecodeError);
    }
  });
});

describe("SAMPLES records", () => {
  it("keeps the stale marker and every NaN payload bit for bit", () => {
    const payloads = [
      STALE_NAN_BITS,
      0x7ff8000000000000n,
      0xfff8000000000001n,
      0x7ff0000000000001n,
      0x8000000000000000n,
    ];
    const b = batchOf([1, 2, 3, 4, 5], [10, 10, 10, 10, 10], payloads);
    const got = decodeSamples(encodeSamples(b, new RecordBuffer()), new SampleBatch());
    expect(got.length).toBe(5);
    expect(payloads.map((_, i) => bits(got.values, i))).toEqual(payloads);
    expect(isStaleNaN(got.values[0]!)).toBe(true);
    // A value pushed as a number keeps its payload too.
    const pushed = new SampleBatch();
    pushed.push(1, 1, STALE_NAN);
    expect(
      isStaleNaN(decodeSamples(encodeSamples(pushed, new RecordBuffer()), new SampleBatch()).values[0]!),
    ).toBe(true);
  });

  it("round-trips any batch (property: NaN payloads, negative timestamps, big refs)", () => {
    const sample = fc.record({
      ref: fc.oneof(fc.nat(2000), fc.maxSafeNat()),
      t: fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -(2 ** 52), max: 2 ** 52 })),
      v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    });
    const out = new RecordBuffer(4);
    const into = new SampleBatch(1);
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 200 }), (samples) => {
        const b = batchOf(
          samples.map((s) => s.ref),
          samples.map((s) => s.t),
          samples.map((s) => s.v),
        );
        const rec = encodeSamples(b, out);
        expect(recordType(rec)).toBe(RecordType.Samples);
        decodeSamples(rec, into);
        expect(into.length).toBe(samples.length);
        samples.forEach((s, i) => {
          expect(into.refs[i]).toBe(s.ref);
          expect(into.ts[i]).toBe(s.t);
          expect(bits(into.values, i)).toBe(s.v);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("is small for a scrape-like batch: one byte of ref and t delta per sample", () => {
    const b = new SampleBatch();
    for (let i = 0; i < 1000; i++) b.push(5000 + i, 1_700_000_000_000, i);
    const rec = encodeSamples(b, new RecordBuffer());
    // type + count(2) + first ref(2) + first t(6) + 8 + 999 × (1 + 1 + 8)
    expect(rec.length).toBe(1 + 2 + 2 + 6 + 8 + 999 * 10);
  });

  it("refuses every truncation, trailing bytes and a count the record cannot hold", () => {
    const rec = encodeSamples(
      batchOf([3, 1, 900], [-5, 7, 2 ** 40], [1n, 2n, 3n]),
      new RecordBuffer(),
    ).slice();
    for (let n = 1; n < rec.length; n++) {
      expect(() => decodeSamples(rec.subarray(0, n), new SampleBatch()), `prefix ${n}`).toThrow(
        RecordDecodeError,
      );
    }
    const longer = new Uint8Array(rec.length + 1);
    longer.set(rec);
    expect(() => decodeSamples(longer, new SampleBatch())).toThrow(/after the last sample/);
    const huge = new RecordBuffer();
    huge.u8(RecordType.Samples);
    huge.uvarint(2 ** 40);
    expect(() => decodeSamples(huge.bytes(), new SampleBatch())).toThrow(/claims/);
    expect(() => decodeSeries(rec)).toThrow(/not SERIES/);
  });

  it("refuses refs and timestamps that are not safe integers when encoding", () => {
    expect(() => encodeSamples(batchOf([0, 2 ** 53], [0, 0], [0n, 0n]), new RecordBuffer())).toThrow(
      RangeError,
    );
    expect(() => encodeSamples(batchOf([0, 1], [-(2 ** 52), 2 ** 52], [0n, 0n]), new RecordBuffer())).toThrow(
      RangeError,
    );
    expect(() => encodeSamples(batchOf([0], [1.5], [0n]), new RecordBuffer())).toThrow(RangeError);
  });
});

describe("TRUNCATION records", () => {
  it.each([
    [0, 0],
    [7_200_000, 12],
    [-86_400_000, 1],
    [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER],
    [Number.MIN_SAFE_INTEGER, 3],
  ])("round-trips mint %d, refLimit %d", (mint, refLimit) => {
    const rec = encodeTruncation({ mint, refLimit }, new RecordBuffer(4));
    expect(recordType(rec)).toBe(RecordType.Truncation);
    expect(decodeTruncation(rec)).toEqual({ mint, refLimit });
  });

  it("refuses another type, a cut body and trailing bytes", () => {
    const rec = encodeTruncation({ mint: 7_200_000, refLimit: 300 }, new RecordBuffer()).slice();
    expect(() => decodeTruncation(Uint8Array.of(RecordType.Series))).toThrow(RecordDecodeError);
    expect(() => decodeTruncation(rec.subarray(0, rec.length - 1))).toThrow(RecordDecodeError);
    expect(() => decodeTruncation(Uint8Array.of(...rec, 0))).toThrow(RecordDecodeError);
  });
});
