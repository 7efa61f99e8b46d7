import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { deflateEncoderName, deflateRaw } from "./deflate-encoder.js";

describe("deflateRaw", () => {
  it("uses libdeflate and leaves no process listeners behind", () => {
    // First in the file: the module loads inside this test.
    const count = () =>
      (process as NodeJS.EventEmitter).listenerCount("uncaughtException") +
      (process as NodeJS.EventEmitter).listenerCount("unhandledRejection");
    const before = count();
    expect(deflateEncoderName()).toBe("libdeflate");
    deflateRaw(Buffer.from("x".repeat(1000)), 5);
    expect(count()).toBe(before);
  });

  it("writes raw DEFLATE that zlib inflates back, at every level", () => {
    const text = Buffer.from(
      Array.from({ length: 2000 }, (_, i) => `level=info msg="request ${i % 37}" took=${i * 7}ms\n`).join(""),
    );
    for (let level = 1; level <= 12; level++) {
      const z = deflateRaw(text, level);
      expect(z.length).toBeLessThan(text.length / 3);
      expect(inflateRawSync(z).equals(text)).toBe(true);
    }
    expect(inflateRawSync(deflateRaw(new Uint8Array(0), 5)).length).toBe(0);
  });

  it("refuses a level outside 1–12, naming the range", () => {
    expect(() => deflateRaw(new Uint8Array(4), 0)).toThrow(/from 1 to 12/);
    expect(() => deflateRaw(new Uint8Array(4), 13)).toThrow(/from 1 to 12/);
    expect(() => deflateRaw(new Uint8Array(4), 2.5)).toThrow(/from 1 to 12/);
  });
});
