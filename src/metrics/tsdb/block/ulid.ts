import { randomFillSync } from "node:crypto";

/**
 * ULIDs name blocks (docs/format/block.md, "ULIDs"): 26 characters of Crockford's base32, the
 * first 10 the creation time in ms (48 bits), the last 16 80 random bits, so that names sort by
 * creation time as plain strings.
 */

/** Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** The largest time a ULID holds: 2^48 − 1 ms (year 10889). */
const MAX_TIME = 2 ** 48 - 1;
const RANDOM_MASK = (1n << 80n) - 1n;

/** Whether `s` is a ULID as this module writes it (upper case, time within 48 bits). */
export function isUlid(s: string): boolean {
  return ULID_RE.test(s);
}

/** The creation time (Unix ms) encoded in a ULID. Throws a RangeError for a string that is not one. */
export function ulidTime(ulid: string): number {
  if (!isUlid(ulid)) throw new RangeError(`${JSON.stringify(ulid)} is not a ULID`);
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(ulid[i]!);
  return t;
}

/** The ULID of time `timeMs` (an integer in [0, 2^48)) and the 80-bit `random`. */
export function encodeUlid(timeMs: number, random: bigint): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_TIME) {
    throw new RangeError(`ULID time ${timeMs} is not an integer ms in [0, 2^48)`);
  }
  if (random < 0n || random > RANDOM_MASK) throw new RangeError("ULID randomness must fit 80 bits");
  const out: string[] = new Array(26);
  let t = timeMs;
  for (let i = 9; i >= 0; i--) {
    out[i] = ALPHABET[t % 32]!;
    t = Math.floor(t / 32);
  }
  let r = random;
  for (let i = 25; i >= 10; i--) {
    out[i] = ALPHABET[Number(r & 31n)]!;
    r >>= 5n;
  }
  return out.join("");
}

/**
 * Hands out strictly increasing ULIDs. When the time does not move forward (the same millisecond,
 * or a clock stepping back), the next ULID keeps the last time and adds one to the random part.
 */
export class UlidGenerator {
  #lastTime = -1;
  #lastRandom = 0n;
  readonly #bytes = new Uint8Array(10);

  /** `fill` supplies the random bytes (default: the system's cryptographic generator). */
  constructor(private readonly fill: (bytes: Uint8Array) => void = (b) => randomFillSync(b)) {}

  /** The next ULID for time `timeMs` (default: now). */
  next(timeMs: number = Date.now()): string {
    if (timeMs <= this.#lastTime) {
      const random = this.#lastRandom + 1n;
      if (random > RANDOM_MASK) {
        throw new RangeError("ULID: 2^80 ULIDs in one millisecond; the random part overflowed");
      }
      this.#lastRandom = random;
      return encodeUlid(this.#lastTime, random);
    }
    const b = this.#bytes;
    this.fill(b);
    let random = 0n;
    for (const x of b) random = (random << 8n) | BigInt(x);
    const ulid = encodeUlid(timeMs, random);
    this.#lastTime = timeMs;
    this.#lastRandom = random;
    return ulid;
  }
}

const shared = new UlidGenerator();

/** A new ULID for the current time, greater than every ULID this process made before. */
export function newUlid(): string {
  return shared.next();
}
