/**
 * RFC 3339 timestamps with up to nanosecond precision (`2024-05-01T10:00:00.123456789Z`,
 * `…+02:00`), parsed straight from bytes: the log parsers call this once per line, so it reads
 * digits without building strings or regular expressions.
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
 * Nanoseconds since the Unix epoch of the timestamp in `b[start, end)`, or `undefined` when the
 * bytes are not an RFC 3339 date-time with a zone (`Z` or `±hh:mm`). Digits past the ninth
 * fractional one are ignored.
 */
export function parseRfc3339Nano(b: Uint8Array, start: number, end: number): bigint | undefined {
  if (end - start < 20) return undefined;
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
    return undefined;
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
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
    if (digits === 0) return undefined;
    frac *= SCALE[digits]!;
  }
  let offsetMin = 0;
  const z = b[i];
  if (z === 0x5a || z === 0x7a) {
    if (i + 1 !== end) return undefined;
  } else if (z === 0x2b || z === 0x2d) {
    if (i + 6 !== end || b[i + 3] !== 0x3a) return undefined;
    const oh = two(b, i + 1);
    const om = two(b, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMin = (oh * 60 + om) * (z === 0x2b ? 1 : -1);
  } else {
    return undefined;
  }
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (year < 100) {
    // Date.UTC maps years 0–99 to 1900–1999.
    const d = new Date(ms);
    d.setUTCFullYear(year);
    ms = d.getTime();
  }
  ms -= offsetMin * 60_000;
  return BigInt(ms) * 1_000_000n + BigInt(frac);
}
