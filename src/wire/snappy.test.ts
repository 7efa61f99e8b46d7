import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WireError } from "./errors.js";
import { SnappyError, snappyCompress, snappyDecodedLength, snappyDecompress } from "./snappy.js";

const MiB = 1 << 20;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SnappyError) return e.code;
    throw e;
  }
  return undefined;
}

describe("snappy block format", () => {
  it.each([
    ["empty", new Uint8Array(0)],
    ["one byte", new Uint8Array([42])],
    ["repetitive", new TextEncoder().encode("hello ".repeat(10_000))],
    ["incompressible", Uint8Array.from({ length: 100_000 }, (_, i) => (i * 2654435761) >>> 24)],
  ])("round-trips %s input", (_name, input) => {
    const compressed = snappyCompress(input);
    expect(snappyDecodedLength(compressed)).toBe(input.length);
    const out = snappyDecompress(compressed, input.length);
    expect(Buffer.from(out).equals(Buffer.from(input))).toBe(true);
  });

  it("round-trips arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (input) => {
        const out = snappyDecompress(snappyCompress(input), 4096);
        expect(Buffer.from(out).equals(Buffer.from(input))).toBe(true);
      }),
    );
  });

  it("refuses a block that claims 1 GiB when the limit is 1 MiB, from its preamble alone", () => {
    // Preamble varint 2^30, then one literal of 3 bytes: expanding it would need 1 GiB of memory.
    const bomb = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04, 0x08, 0x61, 0x62, 0x63]);
    expect(snappyDecodedLength(bomb)).toBe(2 ** 30);
    const before = process.memoryUsage().arrayBuffers;
    let err: unknown;
    try {
      snappyDecompress(bomb, MiB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnappyError);
    expect(err).toBeInstanceOf(WireError);
    expect((err as SnappyError).code).toBe("too_large");
    expect((err as SnappyError).message).toMatch(/1073741824 .* limit of 1048576/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MiB);
  });

  it("refuses a real block one byte over the limit", () => {
    const compressed = snappyCompress(new Uint8Array(1001));
    expect(codeOf(() => snappyDecompress(compressed, 1000))).toBe("too_large");
    expect(snappyDecompress(compressed, 1001)).toHaveLength(1001);
  });

  const corrupt: [string, number[]][] = [
    ["empty input", []],
    ["preamble cut short", [0x80]],
    ["preamble over 5 bytes", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ["preamble over 32 bits", [0xff, 0xff, 0xff, 0xff, 0x1f]],
    ["literal longer than the input", [0x05, 0x10, 0x61]],
    ["copy before any output", [0x04, 0x01, 0x01]],
    ["garbage", [0x0a, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa]],
    ["framed format, not block", [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]],
  ];
  it.each(corrupt)("%s throws corrupt", (_name, input) => {
    expect(codeOf(() => snappyDecompress(new Uint8Array(input), MiB))).toBe("corrupt");
  });

  it("refuses output shorter than the preamble says", () => {
    // Preamble 5, but the body holds a 3-byte literal only.
    expect(codeOf(() => snappyDecompress(new Uint8Array([0x05, 0x08, 0x61, 0x62, 0x63]), MiB))).toBe(
      "corrupt",
    );
  });

  it("refuses a valid block followed by trailing bytes", () => {
    const compressed = snappyCompress(new TextEncoder().encode("abc"));
    const longer = new Uint8Array([...compressed, 0x00]);
    expect(codeOf(() => snappyDecompress(longer, MiB))).toBe("corrupt");
  });

  it("decodes arbitrary bytes or throws SnappyError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        try {
          const out = snappyDecompress(input, 1024);
          expect(out.length).toBeLessThanOrEqual(1024);
        } catch (e) {
          expect(e).toBeInstanceOf(SnappyError);
        }
      }),
    );
  });
});
