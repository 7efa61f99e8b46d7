/**
 * Timestamp parsing for the `timestamp`, `cri` and `docker` stages: a fast RFC 3339 parser for the
 * container formats (run on every line), Go's named layouts, Promtail's `Unix*` formats, and any
 * Go reference layout through the Go-time parser of the LogQL template engine.
 */
import { loadZone, parseTime } from "../../../logs/pipeline/template/index.js";

/** Go's named layouts, as Promtail accepts them for `format`. */
export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
  Kitchen: "3:04PM",
  Stamp: "Jan _2 15:04:05",
  StampMilli: "Jan _2 15:04:05.000",
  StampMicro: "Jan _2 15:04:05.000000",
  StampNano: "Jan _2 15:04:05.000000000",
};

/** The last `YYYY-MM-DDTHH:MM:SS` prefix parsed and its Unix nanoseconds: consecutive lines mostly share it. */
let lastPrefix = "";
let lastPrefixNs = 0n;

/** Parses RFC 3339 with optional fraction (RFC3339Nano) into Unix nanoseconds; undefined when malformed. */
export function parseRFC3339Nano(s: string): bigint | undefined {
  const n = s.length;
  if (n < 20) return undefined;
  const prefix = s.slice(0, 19);
  let base: bigint;
  if (prefix === lastPrefix) {
    base = lastPrefixNs;
  } else {
    const ms = parsePrefixMs(s);
    if (ms === undefined) return undefined;
    base = BigInt(ms) * 1_000_000n;
    lastPrefix = prefix;
    lastPrefixNs = base;
  }
  let i = 19;
  let frac = 0;
  if (s.charCodeAt(i) === 0x2e /* . */) {
    let digits = 0;
    i++;
    for (let c = s.charCodeAt(i); c >= 0x30 && c <= 0x39; c = s.charCodeAt(++i)) {
      if (digits < 9) frac = frac * 10 + (c - 0x30);
      digits++;
    }
    if (digits === 0) return undefined;
    for (; digits < 9; digits++) frac *= 10;
  }
  const z = s.charCodeAt(i);
  let offsetMs = 0;
  if (z === 0x5a /* Z */ || z === 0x7a /* z */) {
    if (i + 1 !== n) return undefined;
  } else if ((z === 0x2b /* + */ || z === 0x2d) /* - */ && i + 6 === n && s.charCodeAt(i + 3) === 0x3a) {
    const hh = twoDigits(s, i + 1);
    const mm = twoDigits(s, i + 4);
    if (hh < 0 || mm < 0) return undefined;
    offsetMs = (hh * 60 + mm) * 60_000 * (z === 0x2b ? -1 : 1);
  } else {
    return undefined;
  }
  let ns = base;
  if (offsetMs !== 0) ns += BigInt(offsetMs) * 1_000_000n;
  return frac === 0 ? ns : ns + BigInt(frac);
}

/** Milliseconds of `YYYY-MM-DDTHH:MM:SS` at the start of `s` read as UTC, or undefined. */
function parsePrefixMs(s: string): number | undefined {
  const t = s.charCodeAt(10);
  if (
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(13) !== 0x3a ||
    s.charCodeAt(16) !== 0x3a
  ) {
    return undefined;
  }
  if (t !== 0x54 /* T */ && t !== 0x74 /* t */ && t !== 0x20) return undefined;
  const y = twoDigits(s, 0) * 100 + twoDigits(s, 2);
  const mo = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  const h = twoDigits(s, 11);
  const mi = twoDigits(s, 14);
  const sec = twoDigits(s, 17);
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    sec < 0 ||
    sec > 60
  ) {
    return undefined;
  }
  if (twoDigits(s, 0) < 0 || twoDigits(s, 2) < 0) return undefined;
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, sec);
  const early = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec)); // Date.UTC reads years 0–99 as 1900–1999
  early.setUTCFullYear(y);
  return early.getTime();
}

/** The two decimal digits at `i`, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30;
  const b = s.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** A compiled timestamp format: parses a value into Unix nanoseconds or returns undefined. */
export type TimeParser = (value: string, nowMs: number) => bigint | undefined;

/** Offset in seconds east of UTC at an instant, for values without their own zone. */
export type ZoneOf = (ms: number) => [number, string];

/**
 * The zone of `location`: `UTC`/`Local`/"" (the agent runs in UTC), a fixed offset `+02:00`/`-0530`,
 * or an IANA name such as `Europe/Paris`. Undefined when unknown.
 */
export function compileLocation(location: string): ZoneOf | undefined {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(location);
  if (fixed !== null) {
    const off = (Number(fixed[2]) * 3600 + Number(fixed[3]) * 60) * (fixed[1] === "-" ? -1 : 1);
    return () => [off, ""];
  }
  return loadZone(location);
}

const YEAR_STD = /2006|(?<![0-9])06(?![0-9])/;

/**
 * Compiles `format` (a name of {@link NAMED_LAYOUTS}, `Unix`, `UnixMs`, `UnixUs`, `UnixNs`, or a Go
 * reference layout). Throws an Error whose message says what is allowed when the format is not one
 * of them. A layout without a year (`Jan _2 15:04:05`) takes the current year, or the previous one
 * when that would put the time more than a week in the future (December lines read in January).
 */
export function compileTimeFormat(format: string, zone: ZoneOf | undefined): TimeParser {
  switch (format) {
    case "Unix":
      return parseUnixSeconds;
    case "UnixMs":
      return (v) => parseUnixInt(v, 1_000_000n);
    case "UnixUs":
      return (v) => parseUnixInt(v, 1_000n);
    case "UnixNs":
      return (v) => parseUnixInt(v, 1n);
  }
  const layout = NAMED_LAYOUTS[format] ?? format;
  if (!/[0-9]/.test(layout) && NAMED_LAYOUTS[format] === undefined) {
    throw new Error(
      `unknown format ${JSON.stringify(format)}: use RFC3339, RFC3339Nano, Unix, UnixMs, UnixUs, UnixNs, another Go layout name (${Object.keys(NAMED_LAYOUTS).join(", ")}) or a Go reference layout such as "2006-01-02 15:04:05.000"`,
    );
  }
  if ((format === "RFC3339" || format === "RFC3339Nano") && zone === undefined) {
    return (v) => parseRFC3339Nano(v);
  }
  const zoneOf = zone ?? (() => [0, "UTC"] as [number, string]);
  const goParse = (l: string, v: string): bigint | undefined => {
    try {
      return parseTime(l, v, zoneOf).ns;
    } catch {
      return undefined;
    }
  };
  if (YEAR_STD.test(layout)) return (v) => goParse(layout, v);
  const withYear = `2006 ${layout}`;
  return (v, nowMs) => {
    const year = new Date(nowMs).getUTCFullYear();
    const ts = goParse(withYear, `${year} ${v}`);
    if (ts === undefined) return undefined;
    if (ts > BigInt(nowMs + 7 * 86_400_000) * 1_000_000n) return goParse(withYear, `${year - 1} ${v}`);
    return ts;
  };
}

const UNIX_SECONDS = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/;

function parseUnixSeconds(v: string): bigint | undefined {
  const m = UNIX_SECONDS.exec(v.trim());
  if (m === null) return undefined;
  const frac = m[2] === undefined ? 0n : BigInt(m[2].padEnd(9, "0"));
  const s = BigInt(m[1]!);
  return s * 1_000_000_000n + (s < 0n || m[1] === "-0" ? -frac : frac);
}

function parseUnixInt(v: string, scale: bigint): bigint | undefined {
  const t = v.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  return BigInt(t) * scale;
}
