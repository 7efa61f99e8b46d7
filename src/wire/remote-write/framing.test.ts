import { describe, expect, it } from "vitest";
import { ProtobufError, ProtobufReader } from "../../lib/protobuf/reader.js";
import { scanSample, skipField, stepOver } from "./framing.js";

const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("scanSample", () => {
  // [name, Sample bytes, [value, timestamp, start timestamp] or false for "read it field by field"]
  const cases: [string, string, [number, number, number] | false][] = [
    ["empty", "", [0, 0, 0]],
    ["value and timestamp", "09 000000000000f03f 10 e807", [1, 1000, 0]],
    ["with start timestamp", "09 000000000000f03f 10 e807 18 0a", [1, 1000, 10]],
    ["timestamp only", "10 01", [0, 1, 0]],
    ["a 7-byte timestamp", "10 ffffffffffff7f", [0, 2 ** 49 - 1, 0]],
    ["a non-minimal varint", "10 8000", [0, 0, 0]],
    ["an 8-byte timestamp", "10 8080808080808001", false],
    ["a negative timestamp", "10 ffffffffffffffffff01", false],
    ["timestamp before value", "10 01 09 000000000000f03f", false],
    ["a repeated value", "09 000000000000f03f 09 000000000000f03f", false],
    ["an unknown field", "09 000000000000f03f 20 01", false],
    ["a truncated value", "09 0000", false],
    ["a truncated timestamp", "10 80", false],
  ];
  it.each(cases)("%s", (_name, hex, want) => {
    const buf = unhex(`ff ${hex} ff`); // not at offset 0, and not to the end of the buffer
    const out = new Float64Array(3).fill(-1);
    const ok = scanSample(buf, new DataView(buf.buffer), 1, buf.length - 1, out);
    expect(ok).toBe(want !== false);
    if (want !== false) expect(Array.from(out)).toEqual(want);
  });
});

describe("stepOver and skipField", () => {
  it("steps over a length-delimited field without copying it", () => {
    const r = new ProtobufReader(unhex("03 616263 00"));
    expect(stepOver(r)).toBe(1);
    expect(r.pos).toBe(4);
    expect(stepOver(r)).toBe(5);
    expect(r.pos).toBe(5);
  });

  it("refuses a length past the end, or past 32 bits", () => {
    expect(() => stepOver(new ProtobufReader(unhex("04 616263")))).toThrow(
      /length prefix says 4 bytes, 3 left/,
    );
    expect(() => stepOver(new ProtobufReader(unhex("8080808010")))).toThrow(ProtobufError);
  });

  it("skips unknown fields and refuses known ones with the wrong wire type", () => {
    const r = new ProtobufReader(unhex("1501020304")); // field 2, fixed32
    skipField(r, r.tag(), "M", 1 << 1);
    expect(r.done).toBe(true);
    const bad = new ProtobufReader(unhex("0d01020304"));
    expect(() => skipField(bad, bad.tag(), "M", 1 << 1)).toThrow(/M field 1 has wrong wire type 5/);
  });
});
