import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.js";

const T0 = 1_700_000_000_000;

describe("TokenBucket", () => {
  it.each([
    // [what, rate, burst, steps: [at ms after T0, take, expected wait ms]]
    [
      "starts full and refuses past the burst",
      10,
      20,
      [
        [0, 20, 0],
        [0, 1, 100],
      ],
    ],
    [
      "refills at the rate",
      10,
      20,
      [
        [0, 20, 0],
        [500, 5, 0],
        [500, 1, 100],
        [600, 1, 0],
      ],
    ],
    [
      "never holds more than the burst",
      10,
      20,
      [
        [0, 20, 0],
        [60_000, 20, 0],
        [60_000, 1, 100],
      ],
    ],
    [
      "admits a request over the burst only when full, into debt",
      10,
      20,
      [
        [0, 30, 0],
        [0, 1, 1100],
        [1100, 1, 0],
      ],
    ],
    [
      "asks an over-burst request to wait for a full bucket",
      10,
      20,
      [
        [0, 5, 0],
        [0, 30, 500],
        [500, 30, 0],
      ],
    ],
    [
      "is unlimited at rate 0",
      0,
      20,
      [
        [0, 1e12, 0],
        [0, 1e12, 0],
      ],
    ],
    [
      "takes a burst of one second's worth when burst is 0",
      10,
      0,
      [
        [0, 10, 0],
        [0, 1, 100],
      ],
    ],
    [
      "takes nothing for an empty request",
      10,
      20,
      [
        [0, 20, 0],
        [0, 0, 0],
      ],
    ],
  ] as const)("%s", (_what, rate, burst, steps) => {
    const b = new TokenBucket(rate, burst, T0);
    for (const [at, n, wait] of steps) expect(b.take(n, T0 + at)).toBe(wait);
  });

  it("keeps its tokens when reconfigured, down to the new burst", () => {
    const b = new TokenBucket(10, 100, T0);
    b.take(40, T0);
    b.configure(10, 200, T0);
    expect(b.tokens(T0)).toBe(60);
    b.configure(10, 30, T0);
    expect(b.tokens(T0)).toBe(30);
  });

  it("starts full when a limit is set on an unlimited bucket", () => {
    const b = new TokenBucket(0, 0, T0);
    expect(b.limited).toBe(false);
    b.configure(5, 50, T0 + 1000);
    expect(b.tokens(T0 + 1000)).toBe(50);
  });

  it("gives back refunded tokens up to the burst", () => {
    const b = new TokenBucket(10, 20, T0);
    b.take(15, T0);
    b.refund(10, T0);
    expect(b.tokens(T0)).toBe(15);
    b.refund(100, T0);
    expect(b.tokens(T0)).toBe(20);
  });

  it("ignores a clock that steps backwards", () => {
    const b = new TokenBucket(10, 20, T0);
    b.take(20, T0);
    expect(b.tokens(T0 - 10_000)).toBe(0);
    expect(b.tokens(T0 + 1000)).toBe(10);
  });

  it("refuses a negative rate or burst", () => {
    expect(() => new TokenBucket(-1, 10, T0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, Number.NaN, T0)).toThrow(RangeError);
  });

  it("never admits more than burst + rate × elapsed, plus one request over the burst", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 8000 })), {
          maxLength: 60,
        }),
        (rate, burst, steps) => {
          const b = new TokenBucket(rate, burst, T0);
          let at = T0;
          let admitted = 0;
          let largest = 0;
          for (const [dt, n] of steps) {
            at += dt;
            if (b.take(n, at) === 0) {
              admitted += n;
              largest = Math.max(largest, n);
            }
          }
          const budget = burst + (rate * (at - T0)) / 1000 + Math.max(0, largest - burst);
          expect(admitted).toBeLessThanOrEqual(budget + 1e-6);
        },
      ),
    );
  });

  it("admits a refused request once its wait has passed, with nothing taken in between", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (rate, burst, first, second) => {
          const b = new TokenBucket(rate, burst, T0);
          b.take(first, T0);
          const wait = b.take(second, T0);
          if (wait > 0) expect(b.take(second, T0 + wait)).toBe(0);
        },
      ),
    );
  });
});
