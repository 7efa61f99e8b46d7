import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexCorruptedError } from "./index-errors.js";
import { ByteCursor, ByteWriter, readU64 } from "./varint.js";

const cursor = (w: ByteWriter) => new ByteCursor(w.bytes(), 0, w.length, "f", "series");

describe("index varints", () => {
  it.each([
    // value, uvarint bytes
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [Number.MAX_SAFE_INTEGER, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
  ])("uvarint %d", (v, bytes) => {
    const w = new ByteWriter();
    w.uvarint(v);
    expect([...w.bytes()]).toEqual(bytes);
    expect(cursor(w).uvarint()).toBe(v);
  });

  it.each([
    // value, zigzag bytes (as Go's binary.PutVarint)
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [63, [0x7e]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [-65, [0x81, 0x01]],
    [Number.MAX_SAFE_INTEGER, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
    [Number.MIN_SAFE_INTEGER, [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  ])("svarint %d", (v, bytes) => {
    const w = new ByteWriter();
    w.svarint(v);
    expect([...w.bytes()]).toEqual(bytes);
    expect(cursor(w).svarint()).toBe(v);
  });

  it("every safe integer round-trips, u64 too", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeNat(), (s, u) => {
        const w = new ByteWriter(1);
        w.svarint(s);
        w.uvarint(u);
        w.u64(u);
        const c = cursor(w);
        expect(c.svarint()).toBe(s);
        expect(c.uvarint()).toBe(u);
        expect(readU64(w.bytes(), c.pos)).toBe(u);
      }),
    );
  });

  it("refuses what it cannot represent", () => {
    const w = new ByteWriter();
    expect(() => w.uvarint(-1)).toThrow(RangeError);
    expect(() => w.uvarint(2 ** 53)).toThrow(RangeError);
    expect(() => w.svarint(0.5)).toThrow(RangeError);
  });

  it.each([
    ["truncated", [0x80]],
    ["longer than 8 bytes", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ["beyond 2^53", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  ])("a %s varint is corruption of the cursor's section", (_, bytes) => {
    const c = new ByteCursor(Uint8Array.from(bytes), 0, bytes.length, "idx", "series");
    expect(() => c.uvarint()).toThrow(IndexCorruptedError);
    try {
      new ByteCursor(Uint8Array.from(bytes), 0, bytes.length, "idx", "series").uvarint();
    } catch (err) {
      expect((err as IndexCorruptedError).message).toMatch(/^block index idx: series section is corrupt/);
    }
  });
});
