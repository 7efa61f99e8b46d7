import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "./reader.js";
import { ProtobufWriter } from "./writer.js";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("ProtobufReader varints", () => {
  const unsigned: [string, number[], number][] = [
    ["0", [0x00], 0],
    ["1", [0x01], 1],
    ["127", [0x7f], 127],
    ["128", [0x80, 0x01], 128],
    ["300", [0xac, 0x02], 300],
    ["2^28 - 1", [0xff, 0xff, 0xff, 0x7f], 2 ** 28 - 1],
    ["2^28", [0x80, 0x80, 0x80, 0x80, 0x01], 2 ** 28],
    ["2^31", [0x80, 0x80, 0x80, 0x80, 0x08], 2 ** 31],
    ["2^32 - 1", [0xff, 0xff, 0xff, 0xff, 0x0f], 2 ** 32 - 1],
    ["2^32", [0x80, 0x80, 0x80, 0x80, 0x10], 2 ** 32],
    ["2^35", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 2 ** 35],
    ["2^53 - 1", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], 2 ** 53 - 1],
    ["2^63", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 2 ** 63],
    // A non-minimal encoding of 1 is still 1.
    ["padded 1", [0x81, 0x80, 0x80, 0x00], 1],
  ];
  it.each(unsigned)("uint64 %s", (_name, input, want) => {
    const r = new ProtobufReader(bytes(...input));
    expect(r.uint64()).toBe(want);
    expect(r.done).toBe(true);
  });

  const signed: [string, number[], number][] = [
    ["0", [0x00], 0],
    ["2^31", [0x80, 0x80, 0x80, 0x80, 0x08], 2 ** 31],
    ["2^53 - 1", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], 2 ** 53 - 1],
    ["-1", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], -1],
    ["-2", [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], -2],
    ["-2^31", [0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01], -(2 ** 31)],
    ["-2^32", [0x80, 0x80, 0x80, 0x80, 0xf0, 0xff, 0xff, 0xff, 0xff, 0x01], -(2 ** 32)],
    ["-(2^53 - 1)", [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xf0, 0xff, 0x01], -(2 ** 53 - 1)],
    ["-2^63", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], -(2 ** 63)],
  ];
  it.each(signed)("int64 %s", (_name, input, want) => {
    const r = new ProtobufReader(bytes(...input));
    expect(r.int64()).toBe(want);
    expect(r.done).toBe(true);
  });

  it("int32 and uint32 keep the low 32 bits", () => {
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    expect(new ProtobufReader(bytes(...minusOne)).int32()).toBe(-1);
    expect(new ProtobufReader(bytes(...minusOne)).uint32()).toBe(0xffffffff);
    expect(new ProtobufReader(bytes(0x80, 0x80, 0x80, 0x80, 0x10)).uint32()).toBe(0);
  });

  const zigzag: [number[], number, number][] = [
    [[0x00], 0, 0],
    [[0x01], -1, -1],
    [[0x02], 1, 1],
    [[0x03], -2, -2],
    [[0xfe, 0xff, 0xff, 0xff, 0x0f], 2 ** 31 - 1, 2 ** 31 - 1],
    [[0xff, 0xff, 0xff, 0xff, 0x0f], -(2 ** 31), -(2 ** 31)],
  ];
  it.each(zigzag)("sint32/sint64 of %j", (input, want32, want64) => {
    expect(new ProtobufReader(bytes(...input)).sint32()).toBe(want32);
    expect(new ProtobufReader(bytes(...input)).sint64()).toBe(want64);
  });

  it("round-trips safe integers through the writer (int64, uint64, sint64)", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeNat(), (i, n) => {
        const buf = new ProtobufWriter(16).int64(i).uint64(n).sint64(i).finish();
        const r = new ProtobufReader(buf);
        expect(r.int64()).toBe(i);
        expect(r.uint64()).toBe(n);
        expect(r.sint64()).toBe(i);
        expect(r.done).toBe(true);
      }),
    );
  });
});

describe("ProtobufReader errors", () => {
  const truncated: [string, number[], (r: ProtobufReader) => unknown][] = [
    ["empty varint", [], (r) => r.uint64()],
    ["varint with continuation bit at the end", [0x80], (r) => r.uint64()],
    ["varint cut after five bytes", [0x80, 0x80, 0x80, 0x80, 0x80], (r) => r.int64()],
    ["varint cut after nine bytes", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], (r) => r.int64()],
    ["varint over ten bytes", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], (r) => r.int64()],
    [
      "varint with an 11th byte",
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00],
      (r) => r.int64(),
    ],
    ["double of 7 bytes", [0, 0, 0, 0, 0, 0, 0], (r) => r.double()],
    ["fixed32 of 3 bytes", [0, 0, 0], (r) => r.fixed32()],
    ["float of 0 bytes", [], (r) => r.float()],
    ["bytes longer than the buffer", [0x05, 1, 2, 3], (r) => r.bytes()],
    ["string longer than the buffer", [0x02, 0x61], (r) => r.string()],
    ["huge length prefix", [0xff, 0xff, 0xff, 0xff, 0x0f], (r) => r.bytes()],
    ["length past 32 bits", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], (r) => r.bytes()],
    ["sub-message longer than the buffer", [0x03, 0x08], (r) => r.pushLimit()],
    ["tag of field 0", [0x00], (r) => r.tag()],
    ["tag past 32 bits", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], (r) => r.tag()],
    ["skip of a group", [], (r) => r.skip(3)],
    ["skip of an end-group", [], (r) => r.skip(4)],
    ["skip of wire type 6", [], (r) => r.skip(6)],
    ["skip of fixed64 with 4 bytes", [1, 2, 3, 4], (r) => r.skip(WIRE_FIXED64)],
    ["skip of fixed32 with 2 bytes", [1, 2], (r) => r.skip(WIRE_FIXED32)],
    ["skip of truncated length", [0x09, 1], (r) => r.skip(WIRE_LEN)],
    ["invalid UTF-8", [0x02, 0xc3, 0x28], (r) => r.string()],
    ["UTF-8 surrogate", [0x03, 0xed, 0xa0, 0x80], (r) => r.string()],
  ];
  it.each(truncated)("%s throws ProtobufError", (_name, input, read) => {
    const r = new ProtobufReader(bytes(...input));
    expect(() => read(r)).toThrow(ProtobufError);
  });

  it("never reads past a sub-message limit", () => {
    // Outer: [len=2][0x80 0x80] then 0x01 outside. Inside the limit the varint is truncated even though
    // the byte after the limit would complete it.
    const r = new ProtobufReader(bytes(0x02, 0x80, 0x80, 0x01));
    r.pushLimit();
    expect(() => r.uint64()).toThrow(/truncated varint/);
  });

  it("names the byte offset in the message", () => {
    const r = new ProtobufReader(bytes(0x08, 0x96, 0x01, 0x11, 0x00));
    expect(r.tag()).toBe((1 << 3) | WIRE_VARINT);
    expect(r.uint64()).toBe(150);
    expect(r.tag()).toBe((2 << 3) | WIRE_FIXED64);
    const err = (() => {
      try {
        r.double();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ProtobufError);
    expect((err as ProtobufError).offset).toBe(4);
    expect((err as ProtobufError).message).toBe("truncated: need 8 bytes, 1 left at byte 4");
  });

  it("rejects a range outside the buffer", () => {
    expect(() => new ProtobufReader(new Uint8Array(4), 2, 5)).toThrow(RangeError);
  });
});

describe("ProtobufReader values", () => {
  it("reads doubles, floats and fixed32 little-endian", () => {
    const buf = new ProtobufWriter().double(-1.5).fixed32(0xdeadbeef).finish();
    const r = new ProtobufReader(buf);
    expect(r.double()).toBe(-1.5);
    expect(r.fixed32()).toBe(0xdeadbeef);
    expect(new ProtobufReader(bytes(0x00, 0x00, 0xc0, 0x3f)).float()).toBe(1.5);
  });

  it("returns bytes as a view, not a copy", () => {
    const buf = bytes(0x03, 1, 2, 3, 9);
    const r = new ProtobufReader(buf);
    const b = r.bytes();
    expect([...b]).toEqual([1, 2, 3]);
    expect(b.buffer).toBe(buf.buffer);
    expect(r.pos).toBe(4);
  });

  it("decodes UTF-8 strings", () => {
    const s = "añ€😀";
    const buf = new ProtobufWriter().string(s).string("").finish();
    const r = new ProtobufReader(buf);
    expect(r.string()).toBe(s);
    expect(r.string()).toBe("");
    expect(r.done).toBe(true);
  });

  it("skips every supported wire type", () => {
    const w = new ProtobufWriter();
    w.tag(1, WIRE_VARINT).int64(-5);
    w.tag(2, WIRE_FIXED64).double(1);
    w.tag(3, WIRE_LEN).string("skip me");
    w.tag(4, WIRE_FIXED32).fixed32(7);
    w.tag(5, WIRE_VARINT).uint32(42);
    const r = new ProtobufReader(w.finish());
    for (let i = 0; i < 4; i++) r.skip(r.tag() & 7);
    expect(r.tag()).toBe((5 << 3) | WIRE_VARINT);
    expect(r.uint32()).toBe(42);
    expect(r.done).toBe(true);
  });

  it("works on a subarray with a non-zero byteOffset", () => {
    const backing = bytes(0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0xff);
    const r = new ProtobufReader(backing.subarray(2, 10));
    expect(r.double()).toBe(1);
    expect(r.done).toBe(true);
  });

  it("reads arbitrary bytes without hanging or throwing anything but ProtobufError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (buf) => {
        const r = new ProtobufReader(buf);
        try {
          while (!r.done) r.skip(r.tag() & 7);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtobufError);
        }
        expect(r.pos).toBeLessThanOrEqual(buf.length);
      }),
    );
  });
});
