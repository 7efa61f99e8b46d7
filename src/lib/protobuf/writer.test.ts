import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStaleNaN, STALE_NAN } from "../../model/stale.js";
import { ProtobufReader, WIRE_LEN } from "./reader.js";
import { ProtobufWriter, varintSize } from "./writer.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("ProtobufWriter", () => {
  const varints: [string, (w: ProtobufWriter) => unknown, string][] = [
    ["uint32 0", (w) => w.uint32(0), "00"],
    ["uint32 300", (w) => w.uint32(300), "ac02"],
    ["uint32 2^31", (w) => w.uint32(2 ** 31), "8080808008"],
    ["uint32 2^32 - 1", (w) => w.uint32(2 ** 32 - 1), "ffffffff0f"],
    ["int64 0", (w) => w.int64(0), "00"],
    ["int64 2^31", (w) => w.int64(2 ** 31), "8080808008"],
    ["int64 2^32", (w) => w.int64(2 ** 32), "8080808010"],
    ["int64 2^53 - 1", (w) => w.int64(2 ** 53 - 1), "ffffffffffffff0f"],
    ["int64 -1", (w) => w.int64(-1), "ffffffffffffffffff01"],
    ["int64 -2^31", (w) => w.int64(-(2 ** 31)), "80808080f8ffffffff01"],
    ["int64 -(2^53 - 1)", (w) => w.int64(-(2 ** 53 - 1)), "81808080808080f0ff01"],
    ["uint64 2^53 - 1", (w) => w.uint64(2 ** 53 - 1), "ffffffffffffff0f"],
    ["sint32 -1", (w) => w.sint32(-1), "01"],
    ["sint32 2^31 - 1", (w) => w.sint32(2 ** 31 - 1), "feffffff0f"],
    ["sint64 -2^31", (w) => w.sint64(-(2 ** 31)), "ffffffff0f"],
    ["sint64 2^40", (w) => w.sint64(2 ** 40), "808080808040"],
    ["bool true", (w) => w.bool(true), "01"],
    ["tag 1/LEN", (w) => w.tag(1, WIRE_LEN), "0a"],
    ["tag 16/varint", (w) => w.tag(16, 0), "8001"],
    ["double 1", (w) => w.double(1), "000000000000f03f"],
    ["fixed32", (w) => w.fixed32(0xdeadbeef), "efbeadde"],
    ["string", (w) => w.string("hi"), "026869"],
    ["bytes", (w) => w.bytes(new Uint8Array([1, 2])), "020102"],
  ];
  it.each(varints)("%s", (_name, write, want) => {
    const w = new ProtobufWriter(16);
    write(w);
    expect(hex(w.finish())).toBe(want);
  });

  it.each([0.5, 2 ** 53, -(2 ** 53), Number.NaN, Number.POSITIVE_INFINITY])("int64 rejects %d", (v) => {
    expect(() => new ProtobufWriter().int64(v)).toThrow(RangeError);
  });

  it("rejects negative uint64", () => {
    expect(() => new ProtobufWriter().uint64(-(2 ** 40))).toThrow(RangeError);
  });

  it("keeps the stale-marker NaN bit for bit", () => {
    const buf = new ProtobufWriter().double(STALE_NAN).finish();
    expect(hex(buf)).toBe("020000000000f07f");
    expect(isStaleNaN(new ProtobufReader(buf).double())).toBe(true);
  });

  it("writes nested messages with minimal length prefixes of any size", () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 70000]) {
      const w = new ProtobufWriter(16);
      const outer = w.tag(1, WIRE_LEN).fork();
      const inner = w.tag(2, WIRE_LEN).fork();
      w.bytes(new Uint8Array(n).fill(7));
      w.join(inner);
      w.join(outer);
      w.uint32(99);
      const buf = w.finish();
      const innerLen = varintSize(n) + n;
      const outerLen = 1 + varintSize(innerLen) + innerLen;
      expect(buf.length).toBe(1 + varintSize(outerLen) + outerLen + 1);

      const r = new ProtobufReader(buf);
      expect(r.tag()).toBe((1 << 3) | WIRE_LEN);
      const o = r.pushLimit();
      expect(r.tag()).toBe((2 << 3) | WIRE_LEN);
      const i = r.pushLimit();
      const payload = r.bytes();
      expect(payload.length).toBe(n);
      expect(payload.every((b) => b === 7)).toBe(true);
      r.popLimit(i);
      r.popLimit(o);
      expect(r.uint32()).toBe(99);
      expect(r.done).toBe(true);
    }
  });

  it("writes strings of any length and script", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ unit: "binary" }), (a, b) => {
        const w = new ProtobufWriter(16);
        w.string(a).string(b);
        const r = new ProtobufReader(w.finish());
        expect(r.string()).toBe(a);
        expect(r.string()).toBe(b);
        expect(r.done).toBe(true);
      }),
    );
  });

  it("hands over its buffer on finish and starts again empty", () => {
    const w = new ProtobufWriter(16);
    const first = w.uint32(1).finish();
    const second = w.uint32(2).finish();
    expect([...first]).toEqual([1]);
    expect([...second]).toEqual([2]);
    expect(w.length).toBe(0);
  });

  it("grows past its initial capacity", () => {
    const w = new ProtobufWriter(16);
    for (let i = 0; i < 1000; i++) w.double(i);
    const r = new ProtobufReader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.double()).toBe(i);
  });
});
