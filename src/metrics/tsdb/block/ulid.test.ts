import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeUlid, isUlid, newUlid, UlidGenerator, ulidTime } from "./ulid.js";

describe("ULID", () => {
  it("encodes time and randomness in Crockford base32, 26 characters", () => {
    expect(encodeUlid(0, 0n)).toBe("00000000000000000000000000");
    expect(encodeUlid(2 ** 48 - 1, (1n << 80n) - 1n)).toBe("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    // 1469918176385 ms is the example time of the ULID specification: 01ARYZ6S41.
    expect(encodeUlid(1469918176385, 0n).slice(0, 10)).toBe("01ARYZ6S41");
    expect(encodeUlid(0, 32n)).toBe("00000000000000000000000010");
    expect(newUlid()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("decodes the time back", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }),
        (t, r) => {
          const u = encodeUlid(t, r);
          expect(u).toHaveLength(26);
          expect(isUlid(u)).toBe(true);
          expect(ulidTime(u)).toBe(t);
        },
      ),
    );
  });

  it("sorts as strings in time order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }),
        (t, dt, r1, r2) => {
          const later = Math.min(t + dt, 2 ** 48 - 1);
          expect(encodeUlid(t, r1) < encodeUlid(later, r2)).toBe(true);
        },
      ),
    );
  });

  it("refuses what is not a ULID", () => {
    expect(isUlid("01ARYZ6S41TSV4RRFFQ69G5FAV")).toBe(true);
    expect(isUlid("01ARYZ6S41TSV4RRFFQ69G5FA")).toBe(false); // 25 characters
    expect(isUlid("01ARYZ6S41TSV4RRFFQ69G5FAI")).toBe(false); // I is not in the alphabet
    expect(isUlid("01aryz6s41tsv4rrffq69g5fav")).toBe(false); // lower case is not written
    expect(isUlid("81ARYZ6S41TSV4RRFFQ69G5FAV")).toBe(false); // time beyond 48 bits
    expect(() => ulidTime("nope")).toThrow(RangeError);
    expect(() => encodeUlid(-1, 0n)).toThrow(RangeError);
    expect(() => encodeUlid(0, 1n << 80n)).toThrow(RangeError);
  });

  it("increases strictly within a millisecond and when the clock steps back", () => {
    const gen = new UlidGenerator((b) => b.fill(0xff >> 1));
    const a = gen.next(1000);
    const b = gen.next(1000);
    const c = gen.next(999);
    const d = gen.next(1001);
    expect(a < b && b < c && c < d).toBe(true);
    expect(ulidTime(b)).toBe(1000);
    expect(ulidTime(c)).toBe(1000);
    expect(ulidTime(d)).toBe(1001);
  });

  it("refuses to overflow the random part", () => {
    const gen = new UlidGenerator((b) => b.fill(0xff));
    expect(gen.next(5)).toBe(encodeUlid(5, (1n << 80n) - 1n));
    expect(() => gen.next(5)).toThrow(/overflowed/);
  });

  it("newUlid is strictly increasing in one process", () => {
    const ids = Array.from({ length: 1000 }, () => newUlid());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });
});
