import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STALE_NAN } from "../../../model/stale.js";
import {
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_MAX_SAMPLE_BYTES,
  XOR_CHUNK_MAX_SAMPLES,
  XorChunkAppender,
  XorChunkError,
  XorChunkIterator,
} from "./xor-chunk.js";

const MAX = Number.MAX_SAFE_INTEGER;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Values from 64-bit patterns, kept in a Float64Array so no NaN payload is touched. */
function fromBits(...bits: bigint[]): Float64Array {
  return new Float64Array(new BigUint64Array(bits).buffer);
}
const bitsOf = (vs: Float64Array): string[] =>
  Array.from(new BigUint64Array(vs.buffer, vs.byteOffset, vs.length), (b) => b.toString(16));

function encode(ts: readonly number[], vs: Float64Array): XorChunkAppender {
  const a = new XorChunkAppender(16);
  for (let i = 0; i < ts.length; i++) a.append(ts[i]!, vs[i]!);
  return a;
}

/** Decodes every sample; values land in a Float64Array straight from the iterator. */
function decode(bytes: Uint8Array, it = new XorChunkIterator()): { ts: number[]; vs: Float64Array } {
  it.reset(bytes);
  const ts: number[] = [];
  const vs = new Float64Array(it.numSamples);
  while (it.next()) {
    vs[ts.length] = it.v;
    ts.push(it.t);
  }
  expect(it.next()).toBe(false);
  return { ts, vs };
}

function expectRoundTrip(ts: readonly number[], vs: Float64Array): XorChunkAppender {
  const a = encode(ts, vs);
  expect(a.numSamples).toBe(ts.length);
  const got = decode(a.bytes().slice());
  expect(got.ts.length).toBe(ts.length);
  // Compare in a loop first (fast for 65 535 samples), then show the first difference.
  const gotBits = new BigUint64Array(got.vs.buffer);
  const wantBits = new BigUint64Array(vs.buffer, vs.byteOffset, vs.length);
  for (let i = 0; i < ts.length; i++) {
    if (got.ts[i] !== ts[i] || gotBits[i] !== wantBits[i]) {
      expect([i, got.ts[i], gotBits[i]!.toString(16)]).toEqual([i, ts[i], wantBits[i]!.toString(16)]);
    }
  }
  return a;
}

const every = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const T0 = 1_700_000_000_000;
const at15s = (n: number) => every(n, (i) => T0 + i * 15_000);
/** A deterministic PRNG (mulberry32), so the tables are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("XorChunk round trips", () => {
  const r = rng(1);
  const cases: [string, number[], Float64Array][] = [
    ["1 sample", [T0], new Float64Array([42])],
    ["2 samples", [T0, T0 + 15_000], new Float64Array([1, 2])],
    ["120 constant samples", at15s(120), new Float64Array(120).fill(1)],
    ["120 zeros", at15s(120), new Float64Array(120)],
    ["a counter", at15s(120), Float64Array.from(every(120, (i) => i * 37 + (i % 7)))],
    [
      "a counter of float seconds",
      at15s(120),
      Float64Array.from(every(120, (i) => Math.round(1000 * (12345.67 + i * 14.93)) / 1000)),
    ],
    ["a noisy gauge", at15s(120), Float64Array.from(every(120, () => 50 + r() * 10))],
    ["random floats", at15s(120), Float64Array.from(every(120, () => (r() - 0.5) * 1e300))],
    [
      "special values",
      at15s(14),
      new Float64Array([
        0,
        -0,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        STALE_NAN,
        Number.MIN_VALUE,
        -Number.MAX_VALUE,
        Number.MAX_VALUE,
        -0,
        0,
        STALE_NAN,
        STALE_NAN,
        1,
      ]),
    ],
    [
      "NaN payloads",
      at15s(8),
      fromBits(
        0x7ff0000000000002n, // stale marker
        0x7ff8000000000001n, // quiet NaN with a payload
        0x7ff0000000000001n, // signalling NaN
        0xfff8000000000000n, // negative NaN
        0xffffffffffffffffn,
        0x7ff0000000000002n,
        0x7ffffffffffffffen,
        0x7ff0000000000002n,
      ),
    ],
    [
      "jittered timestamps",
      every(120, (i) => T0 + i * 15_000 + Math.floor(r() * 20) - 10),
      new Float64Array(120),
    ],
    [
      "every dod bucket, both signs, at its edges",
      (() => {
        const dods = [0, 1, -1, 8192, -8191, 8193, -8192, 65536, -65535, 65537, -65536, 524288, -524287];
        const more = [524289, -524288, 2 ** 40, -(2 ** 40)];
        const ts = [0, 10_000_000_000];
        let d = 10_000_000_000;
        for (const dod of [...dods, ...more]) {
          d += dod;
          ts.push(ts[ts.length - 1]! + d);
        }
        return ts;
      })(),
      new Float64Array(19),
    ],
    [
      "missed scrapes",
      [T0, T0 + 15_000, T0 + 45_000, T0 + 60_000, T0 + 120_000, T0 + 135_000],
      new Float64Array(6),
    ],
    [
      "a gap of a year",
      [T0, T0 + 15_000, T0 + 15_000 + 365 * 86_400_000, T0 + 30_000 + 365 * 86_400_000],
      new Float64Array(4),
    ],
    ["equal timestamps", [T0, T0, T0, T0 + 1], new Float64Array(4)],
    [
      "decreasing timestamps (negative deltas)",
      [T0, T0 - 15_000, T0 - 30_000, T0 - 31_000, T0 - 10],
      new Float64Array(5),
    ],
    ["negative timestamps", [-5_000_000, -4_985_000, -4_970_000, 0, 15_000], new Float64Array(5)],
    ["the safe range's ends", [-MAX, MAX], new Float64Array(2)],
    ["a first delta beyond the safe range", [-MAX, MAX - 1, MAX], new Float64Array(3)],
    ["a dod beyond the safe range", [0, MAX, -MAX, -MAX + 1, -MAX + 2, MAX], new Float64Array(6)],
    ["deltas beyond the safe range, both ways", [MAX, -MAX, MAX, -MAX, 0, 1, 2], new Float64Array(7)],
    ["a delta of 2^53", [-(2 ** 52), 2 ** 52, 2 ** 52 + 1], new Float64Array(3)],
  ];
  it.each(cases)("%s", (_name, ts, vs) => {
    expectRoundTrip(ts, vs);
  });

  it("65 535 samples, and no more", () => {
    const n = XOR_CHUNK_MAX_SAMPLES;
    const vs = Float64Array.from(every(n, (i) => i % 1000));
    const a = expectRoundTrip(at15s(n), vs);
    const before = a.bytes().slice();
    expect(() => a.append(T0 + n * 15_000, 1)).toThrow(RangeError);
    expect(a.bytes()).toEqual(before);
  });

  it("refuses timestamps that are not safe integers, leaving the chunk as it was", () => {
    const a = encode([T0], new Float64Array([1]));
    const before = a.bytes().slice();
    for (const t of [1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX + 1, -(MAX + 1)]) {
      expect(() => a.append(t, 1)).toThrow(RangeError);
    }
    expect(a.numSamples).toBe(1);
    expect(a.bytes()).toEqual(before);
  });

  it("compresses regular series as Prometheus does", () => {
    const constant = encode(at15s(120), new Float64Array(120).fill(1));
    // 18 bytes for the first two samples, then 2 bits per sample.
    expect(constant.byteLength).toBe(2 + 6 + 8 + 2 + Math.ceil((1 + 118 * 2) / 8));
    const counter = encode(at15s(120), Float64Array.from(every(120, (i) => i * 100)));
    expect(counter.byteLength / 120).toBeLessThan(2);
  });

  it("keeps each sample under the documented maximum size", () => {
    const r = rng(7);
    const a = new XorChunkAppender();
    const f = new Float64Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 500; i++) {
      const before = a.byteLength;
      const t = Math.floor((r() - 0.5) * 2 ** 53);
      u[0] = r() * 2 ** 32;
      u[1] = r() * 2 ** 32;
      a.append(t, f[0]!);
      if (i >= 2) expect(a.byteLength - before).toBeLessThanOrEqual(XOR_CHUNK_MAX_SAMPLE_BYTES);
    }
    expect(XOR_CHUNK_MAX_BYTES).toBe(1024);
  });

  it("reports numSamples, minT, maxT and bytes as it goes", () => {
    const a = new XorChunkAppender();
    expect([a.numSamples, a.minT, a.maxT, a.bytes().length]).toEqual([
      0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2,
    ]);
    a.append(1000, 1);
    a.append(2000, 2);
    expect([a.numSamples, a.minT, a.maxT]).toEqual([2, 1000, 2000]);
    expect(a.bytes().subarray(0, 2)).toEqual(new Uint8Array([0, 2]));
    expect(a.byteLength).toBe(a.bytes().length);
  });

  it("round-trips any samples bit for bit (property)", () => {
    const sample = fc.tuple(
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.oneof(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.constantFrom(0x7ff0000000000002n, 0x8000000000000000n, 0x7ff0000000000000n, 0n),
        fc.double().map((d) => new BigUint64Array(new Float64Array([d]).buffer)[0]!),
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
        fc.array(sample, { minLength: 1, maxLength: 300 }),
        fc.boolean(),
        (start, samples, regular) => {
          let t = start;
          const ts: number[] = [];
          for (const [gap] of samples) {
            t += regular ? 15_000 + (gap % 3) : gap;
            ts.push(t);
          }
          expectRoundTrip(ts, fromBits(...samples.map(([, v]) => v)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("round-trips any safe timestamps in any order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.maxSafeInteger().chain((x) => fc.constantFrom(x, -x)),
          { minLength: 1, maxLength: 50 },
        ),
        (ts) => {
          expectRoundTrip(ts, new Float64Array(ts.length).fill(STALE_NAN));
        },
      ),
    );
  });
});

describe("XorChunk format", () => {
  it("encodes the example of docs/format/chunks.md", () => {
    const a = encode([1000, 16000, 31001], new Float64Array([1.5, 1.5, 2.5]));
    expect(hex(a.bytes())).toBe("0003d00f3ff80000000000009875" + "4000e137ffe0");
  });
});

describe("XorChunkIterator", () => {
  const ts = [1000, 2000, 3000, 4000, 5000];
  const bytes = encode(
    ts,
    Float64Array.from(ts, (t) => t / 1000),
  )
    .bytes()
    .slice();

  const seeks: [string, number[], (number | false)[]][] = [
    ["before the first", [0], [1000]],
    ["exact", [3000], [3000]],
    ["between", [2500], [3000]],
    ["the last", [5000], [5000]],
    ["past the last", [5001], [false]],
    ["never backwards", [3000, 1000, 2999, 3000], [3000, 3000, 3000, 3000]],
    ["forwards in steps", [1500, 4000, 4001], [2000, 4000, 5000]],
    ["after the end", [9000, 0], [false, false]],
  ];
  it.each(seeks)("seek %s", (_name, targets, want) => {
    const it = new XorChunkIterator(bytes);
    expect(targets.map((t) => (it.seek(t) ? it.t : false))).toEqual(want);
  });

  it("continues with next() after seek()", () => {
    const it = new XorChunkIterator(bytes);
    expect(it.seek(2000)).toBe(true);
    expect([it.t, it.v]).toEqual([2000, 2]);
    expect(it.next()).toBe(true);
    expect([it.t, it.v]).toEqual([3000, 3]);
  });

  it("next() after the end stays false, and seek() too", () => {
    const it = new XorChunkIterator(bytes);
    while (it.next()) {}
    expect(it.next()).toBe(false);
    expect(it.seek(0)).toBe(false);
  });

  it("is empty without bytes, and for zero bytes", () => {
    expect(new XorChunkIterator().next()).toBe(false);
    expect(new XorChunkIterator().seek(0)).toBe(false);
    expect(new XorChunkIterator(new Uint8Array(0)).next()).toBe(false);
  });

  it("can be reset onto other chunks without a new iterator", () => {
    const it = new XorChunkIterator();
    const other = encode([7, 8], new Float64Array([Number.NaN, -0]))
      .bytes()
      .slice();
    expect(decode(bytes, it).ts).toEqual(ts);
    expect(bitsOf(decode(other, it).vs)).toEqual(["7ff8000000000000", "8000000000000000"]);
    it.reset(bytes);
    expect(it.seek(4500) && it.t).toBe(5000);
  });

  it("keeps decoding a view of an open chunk while the appender goes on", () => {
    const a = new XorChunkAppender(16);
    const want = at15s(300);
    const vs = Float64Array.from(want, (_, i) => i * 1.25);
    for (let i = 0; i < 100; i++) a.append(want[i]!, vs[i]!);
    const it = new XorChunkIterator(a.bytes());
    const got: number[] = [];
    for (let i = 100; i < 300; i++) {
      a.append(want[i]!, vs[i]!); // grows the buffer and adds bits to the view's last byte
      if (i % 2 === 0 && it.next()) got.push(it.v);
    }
    while (it.next()) got.push(it.v);
    expect(got).toEqual(Array.from(vs.subarray(0, 100)));
  });

  it("reads only the header's count of samples, ignoring what follows", () => {
    const padded = new Uint8Array(bytes.length + 16);
    padded.set(bytes);
    padded.fill(0xff, bytes.length);
    expect(decode(padded).ts).toEqual(ts);
  });

  function errorOf(data: Uint8Array): XorChunkError {
    try {
      decode(data);
    } catch (e) {
      expect(e).toBeInstanceOf(XorChunkError);
      return e as XorChunkError;
    }
    throw new Error("decoded without error");
  }

  it("throws xor_truncated for data cut short", () => {
    const long = encode(at15s(120), Float64Array.from(every(120, (i) => i * 1.1)))
      .bytes()
      .slice();
    for (const cut of [1, 3, 10, 17, 20, long.length - 1]) {
      expect(errorOf(long.subarray(0, cut)).code).toBe("xor_truncated");
    }
  });

  it("throws xor_bad_window for a window over 64 bits", () => {
    // Two samples; the second value's window says 31 leading zeros and 63 significant bits.
    const a = encode([1, 2], new Float64Array([0, 1]))
      .bytes()
      .slice();
    const w = a.slice(0, 12 + 1);
    // After the 12 header bytes (2 count + 1 t0 + 8 v0 + 1 delta): `11` 11111 111111 …
    w[12] = 0xff;
    const data = new Uint8Array(24);
    data.set(w);
    data[13] = 0xf8;
    expect(errorOf(data).code).toBe("xor_bad_window");
  });

  it("throws xor_unsafe_timestamp for a foreign chunk beyond the safe range", () => {
    // n = 1, t0 = 2^60 as a zigzag varint (2^61), v0 = 0.
    const varint = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
    const data = new Uint8Array([0, 1, ...varint, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(errorOf(data).code).toBe("xor_unsafe_timestamp");
  });

  it("throws xor_bad_varint for a varint over 10 bytes", () => {
    const data = new Uint8Array([0, 1, ...new Array(11).fill(0x80), 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(errorOf(data).code).toBe("xor_bad_varint");
  });

  it("wraps int64 arithmetic as Prometheus does, and checks the result", () => {
    // n = 2, t0 = 5, delta = 2^64 − 3 (i.e. −3): t1 = 2.
    const delta = [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const data = new Uint8Array([0, 2, 10, 0, 0, 0, 0, 0, 0, 0, 0, ...delta, 0]);
    expect(decode(data).ts).toEqual([5, 2]);
  });
});
