/**
 * RFC 3339 timestamps with up to nanosecond precision (`2024-05-01T10:00:00.123456789Z`,
 * `…+02:00`), parsed straight from bytes: the log parsers call this once per line, so it reads
 * digits without building strings or regular expressions.
 *
 * One parser, {@link parseRfc3339Into}, which fills a caller-owned {@link Rfc3339Time} (milliseconds
 * and the nanoseconds within the millisecond, plain numbers) and allocates nothing: the per-line
 * path. {@link parseRfc3339Ms} (with {@link lastSubMsNanos}) and {@link parseRfc3339Nano} (one
 * bigint of nanoseconds) wrap it.
 */

function digit(b: Uint8Array, i: number): number {
  const d = (b[i] ?? 0) - 48;
  return d >= 0 && d <= 9 ? d : -1000;
}

function two(b: Uint8Array, i: number): number {
  return digit(b, i) * 10 + digit(b, i + 1);
}

/** Multiplier that turns `n` fractional digits into nanoseconds, by `n`. */
const SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/**
 * Days from 1970-01-01 to `year-month-day` in the proleptic Gregorian calendar (H. Hinnant's
 * `days_from_civil`), in plain arithmetic: `Date.UTC` returns a heap number per call, and this runs
 * once per line. A day past the month's end rolls over into the next month, as with `Date.UTC`.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** A time as two plain numbers, filled by {@link parseRfc3339Into}. */
export interface Rfc3339Time {
  /** Milliseconds since the Unix epoch, rounded down (also before 1970). */
  ms: number;
  /** Nanoseconds within that millisecond, 0–999999. */
  subNs: number;
}

/**
 * Parses the timestamp in `b[start, end)` into `out` (a caller-owned object, reused across calls)
 * and returns `true`, or returns `false` and leaves `out` alone when the bytes are not an RFC 3339
 * date-time with a zone (`Z` or `±hh:mm`). Digits past the ninth fractional one are ignored.
 * Allocates nothing, not even the heap number a returned millisecond count would be: this is the
 * per-line entry point ({@link scanCriLine} uses it).
 */
export function parseRfc3339Into(b: Uint8Array, start: number, end: number, out: Rfc3339Time): boolean {
  if (end - start < 20) return false;
  const year = two(b, start) * 100 + two(b, start + 2);
  const month = two(b, start + 5);
  const day = two(b, start + 8);
  const hour = two(b, start + 11);
  const minute = two(b, start + 14);
  const second = two(b, start + 17);
  if (
    b[start + 4] !== 0x2d ||
    b[start + 7] !== 0x2d ||
    (b[start + 10] !== 0x54 && b[start + 10] !== 0x74) ||
    b[start + 13] !== 0x3a ||
    b[start + 16] !== 0x3a
  ) {
    return false;
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  let i = start + 19;
  let frac = 0;
  let digits = 0;
  if (b[i] === 0x2e) {
    i++;
    for (; i < end; i++) {
      const d = digit(b, i);
      if (d < 0) break;
      if (digits < 9) {
        frac = frac * 10 + d;
        digits++;
      }
    }
    if (digits === 0) return false;
    frac *= SCALE[digits]!;
  }
  let offsetMin = 0;
  const z = b[i];
  if (z === 0x5a || z === 0x7a) {
    if (i + 1 !== end) return false;
  } else if (z === 0x2b || z === 0x2d) {
    if (i + 6 !== end || b[i + 3] !== 0x3a) return false;
    const oh = two(b, i + 1);
    const om = two(b, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offsetMin = (oh * 60 + om) * (z === 0x2b ? 1 : -1);
  } else {
    return false;
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
  const ms = (seconds - offsetMin * 60) * 1000;
  // `frac` < 1e9 and `ms` is whole, so this is a floor division for any sign of `ms`.
  const fracMs = Math.floor(frac / 1_000_000);
  out.ms = ms + fracMs;
  out.subNs = frac - fracMs * 1_000_000;
  return true;
}

/** Where {@link parseRfc3339Ms} leaves its result. */
const last: Rfc3339Time = { ms: Number.NaN, subNs: 0 };
/** Scratch of {@link parseRfc3339Nano} (which must not change {@link lastSubMsNanos}). */
const nanoScratch: Rfc3339Time = { ms: Number.NaN, subNs: 0 };

/**
 * The nanoseconds within the millisecond (0–999999) of the timestamp that the last call of
 * {@link parseRfc3339Ms} returned; meaningless after a call that returned `NaN`. Module state, read
 * right after the call (parsing is synchronous, so nothing can run in between).
 */
export function lastSubMsNanos(): number {
  return last.subNs;
}

/**
 * Milliseconds since the Unix epoch of the timestamp in `b[start, end)`, rounded down (also before
 * 1970: `1969-12-31T23:59:59.9999995Z` is -1 ms and 999500 ns), or `NaN` when it is not valid (see
 * {@link parseRfc3339Into}, which does the parsing). The rest, in nanoseconds, is then
 * {@link lastSubMsNanos}. Returning a number of milliseconds makes a heap number when the call is
 * not inlined; per-line code uses {@link parseRfc3339Into}.
 */
export function parseRfc3339Ms(b: Uint8Array, start: number, end: number): number {
  return parseRfc3339Into(b, start, end, last) ? last.ms : Number.NaN;
}

/**
 * Nanoseconds since the Unix epoch of the timestamp in `b[start, end)`, or `undefined` when it is
 * not valid; the same rules as {@link parseRfc3339Into}, which does the parsing.
 */
export function parseRfc3339Nano(b: Uint8Array, start: number, end: number): bigint | undefined {
  const t = nanoScratch;
  if (!parseRfc3339Into(b, start, end, t)) return undefined;
  return BigInt(t.ms) * 1_000_000n + BigInt(t.subNs);
}
