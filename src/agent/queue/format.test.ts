import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CURSOR_BYTES,
  checkFrame,
  decodeCursor,
  decodeSegmentHeader,
  encodeCursor,
  encodeSegmentHeader,
  FRAME_HEADER_BYTES,
  frameAppendedAt,
  MAX_PAYLOAD_BYTES,
  parseSegmentName,
  SEGMENT_HEADER_BYTES,
  segmentName,
  writeFrame,
} from "./format.js";

function frame(payload: Uint8Array, appendedAt = 1_700_000_000_123): Uint8Array {
  const b = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrame(b, 0, payload, appendedAt);
  return b;
}

describe("queue format", () => {
  it("names segments with 16 digits", () => {
    expect(segmentName(42)).toBe("0000000000000042.seg");
    expect(parseSegmentName("0000000000000042.seg")).toBe(42);
    for (const bad of ["42.seg", "0000000000000042.seg.tmp", "00000000000000042.seg", "cursor"]) {
      expect(parseSegmentName(bad)).toBeUndefined();
    }
  });

  it("round-trips the segment header and the cursor, refusing any damage", () => {
    const h = encodeSegmentHeader(2 ** 40 + 7);
    expect(h.length).toBe(SEGMENT_HEADER_BYTES);
    expect([...h.subarray(0, 8)]).toEqual([0x4d, 0x41, 0x47, 0x51, 1, 0, 0, 0]);
    expect(decodeSegmentHeader(h)).toBe(2 ** 40 + 7);
    const c = { segment: 9, offset: 123_456, index: Number.MAX_SAFE_INTEGER };
    const cb = encodeCursor(c);
    expect(cb.length).toBe(CURSOR_BYTES);
    expect(decodeCursor(cb)).toEqual(c);
    expect(decodeCursor(cb.subarray(0, 35))).toBeUndefined();
    for (let i = 0; i < SEGMENT_HEADER_BYTES; i++) {
      const d = h.slice();
      d[i]! ^= 0x10;
      expect(decodeSegmentHeader(d), `header byte ${i}`).toBeUndefined();
    }
    for (let i = 0; i < CURSOR_BYTES; i++) {
      const d = cb.slice();
      d[i]! ^= 0x10;
      expect(decodeCursor(d), `cursor byte ${i}`).toBeUndefined();
    }
  });

  it("tells each kind of bad frame apart", () => {
    const f = frame(Uint8Array.of(1, 2, 3, 4, 5));
    expect(checkFrame(f, 0, f.length, f.length)).toBe(5);
    expect(frameAppendedAt(f, 0)).toBe(1_700_000_000_123);
    const cases: [string, Uint8Array, number, ReturnType<typeof checkFrame>][] = [
      ["fewer than 16 bytes left", f.subarray(0, 10), 10, "short_header"],
      ["zero length", new Uint8Array(40), 40, "bad_length"],
      ["length past the data", f.subarray(0, 18), 18, "short_record"],
      ["header bytes present, payload not yet read", f.subarray(0, 18), f.length, "more"],
    ];
    for (const [name, b, left, want] of cases) expect(checkFrame(b, 0, b.length, left), name).toBe(want);
    const big = f.slice();
    big[4] = 0x7f;
    expect(checkFrame(big, 0, big.length, 1 << 30)).toBe("bad_length");
    expect(MAX_PAYLOAD_BYTES).toBe(64 * 1024 * 1024);
  });

  it("catches any flipped bit in a frame (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (payload, at, pick, bit) => {
          const f = frame(payload, at);
          expect(checkFrame(f, 0, f.length, f.length)).toBe(payload.length);
          expect(frameAppendedAt(f, 0)).toBe(at);
          expect(f.subarray(FRAME_HEADER_BYTES)).toEqual(payload);
          const i = pick % f.length;
          f[i]! ^= 1 << bit;
          expect(typeof checkFrame(f, 0, f.length, f.length)).toBe("string");
        },
      ),
    );
  });
});
