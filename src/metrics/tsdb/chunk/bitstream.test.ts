import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BitReader, BitWriter } from "./bitstream.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("BitWriter", () => {
  const cases: [string, (w: BitWriter) => void, string, number][] = [
    ["nothing", () => {}, "", 0],
    ["one 1 bit", (w) => w.writeBit(1), "80", 1],
    ["one 0 bit", (w) => w.writeBit(0), "00", 1],
    [
      "bits in order, MSB first",
      (w) => {
        for (const b of [1, 0, 1, 1, 0, 0, 0, 1, 1]) w.writeBit(b);
      },
      "b180",
      9,
    ],
    ["0 bits write nothing", (w) => w.writeBits(0xffffffff, 0), "", 0],
    ["a byte", (w) => w.writeBits(0xa5, 8), "a5", 8],
    ["only the low n bits", (w) => w.writeBits(0xfff5, 4), "50", 4],
    ["32 bits, top bit set", (w) => w.writeBits(0x80000001, 32), "80000001", 32],
    ["32 bits from a negative int32", (w) => w.writeBits(-2, 32), "fffffffe", 32],
    ["a negative int32's low 14 bits", (w) => w.writeBits(-3, 14), "fff4", 14],
    [
      "32 bits across five bytes",
      (w) => {
        w.writeBits(0b101, 3);
        w.writeBits(0xffffffff, 32);
      },
      "bfffffffe0",
      35,
    ],
    [
      "unaligned fields",
      (w) => {
        w.writeBit(1);
        w.writeBits(0x3, 2);
        w.writeBits(0x1234, 13);
        w.writeBits(0x5, 3);
      },
      "f234a0",
      19,
    ],
    ["64 bits", (w) => w.writeBits64(0x01234567, 0x89abcdef, 64), "0123456789abcdef", 64],
    ["33 bits", (w) => w.writeBits64(0xffffffff, 0x80000000, 33), "c000000000", 33],
    [
      "64 bits after one bit",
      (w) => {
        w.writeBit(1);
        w.writeBits64(0xffffffff, 0xffffffff, 64);
      },
      "ffffffffffffffff80",
      65,
    ],
    ["≤ 32 of 64 bits use lo only", (w) => w.writeBits64(0xffffffff, 0x5, 3), "a0", 3],
  ];
  it.each(cases)("%s", (_name, write, want, bits) => {
    const w = new BitWriter(8);
    write(w);
    expect(hex(w.bytes())).toBe(want);
    expect(w.bitLength).toBe(bits);
    expect(w.byteLength).toBe(Math.ceil(bits / 8));
  });

  it("grows past its initial capacity and keeps what it wrote", () => {
    const w = new BitWriter(8);
    for (let i = 0; i < 1000; i++) w.writeBits(i & 0x7ff, 11);
    const r = new BitReader(w.bytes());
    for (let i = 0; i < 1000; i++) expect(r.readBits(11)).toBe(i & 0x7ff);
    expect(r.overrun).toBe(false);
  });
});

describe("BitReader", () => {
  const b = new Uint8Array([0b1011_0001, 0xff, 0x00, 0x12, 0x34, 0x56]);

  it("reads bits and fields MSB first", () => {
    const r = new BitReader(b);
    expect([r.readBit(), r.readBit(), r.readBit(), r.readBit()]).toEqual([1, 0, 1, 1]);
    expect(r.readBits(4)).toBe(0b0001);
    expect(r.readBits(12)).toBe(0xff0);
    expect(r.peekBits(4)).toBe(0);
    expect(r.readBits(28)).toBe(0x0123456);
    expect(r.bitPos).toBe(48);
    expect(r.overrun).toBe(false);
  });

  it("reads 32 bits at every alignment, also at the very end", () => {
    for (let s = 0; s < 8; s++) {
      const r = new BitReader(b);
      r.skipBits(s);
      const want = Number((BigInt(`0x${hex(b)}`) >> BigInt(48 - 32 - s)) & 0xffffffffn);
      expect(r.readBits(32)).toBe(want);
    }
    const r = new BitReader(b);
    r.skipBits(16);
    expect(r.readBits(32)).toBe(0x00123456);
  });

  it("reads zeros past the end and reports the overrun", () => {
    const r = new BitReader(new Uint8Array([0xff]));
    expect(r.readBits(4)).toBe(0xf);
    expect(r.overrun).toBe(false);
    expect(r.readBits(8)).toBe(0xf0);
    expect(r.overrun).toBe(true);
    expect(r.readBit()).toBe(0);
    expect(r.readBits(32)).toBe(0);
  });

  it("reads an empty stream as zeros", () => {
    const r = new BitReader();
    expect(r.bitLength).toBe(0);
    expect(r.peekBits(32)).toBe(0);
    expect(r.overrun).toBe(false);
    expect(r.readBit()).toBe(0);
    expect(r.overrun).toBe(true);
  });

  it("reads 0 bits as 0 without moving", () => {
    const r = new BitReader(b);
    expect(r.readBits(0)).toBe(0);
    expect(r.bitPos).toBe(0);
  });

  it("reset starts over on other bytes", () => {
    const r = new BitReader(b);
    r.readBits(20);
    r.reset(new Uint8Array([0x80]));
    expect(r.bitPos).toBe(0);
    expect(r.readBit()).toBe(1);
  });

  it("reads back any sequence of fields the writer wrote", () => {
    const field = fc
      .integer({ min: 0, max: 32 })
      .chain((n) =>
        fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n === 32 ? 0xffffffff : 2 ** n - 1 })),
      );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 200 }), (fields) => {
        const w = new BitWriter(8);
        for (const [n, v] of fields) w.writeBits(v, n);
        const bits = fields.reduce((s, [n]) => s + n, 0);
        expect(w.bitLength).toBe(bits);
        const r = new BitReader(w.bytes());
        for (const [n, v] of fields) expect(r.readBits(n)).toBe(v);
        expect(r.overrun).toBe(false);
        // The padding is zeros.
        expect(r.readBits(r.bitLength - r.bitPos)).toBe(0);
      }),
    );
  });
});
