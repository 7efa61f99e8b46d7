import { parseDurationMs } from "../../lib/duration/duration.js";

/** Parses a LogQL number literal (decimal, exponent or `0x` hexadecimal). */
export function parseNumber(text: string): number {
  return /^0[xX]/.test(text) ? Number.parseInt(text.slice(2), 16) : Number(text);
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  y: 31536000,
};

/** Parses a Go duration (`1.5s`, `2h45m`, `250ms`; also `d`, `w`, `y`) into seconds. */
export function parseGoDurationSeconds(text: string): number | undefined {
  const part = /((?:\d+(?:\.\d*)?|\.\d+))(ns|us|µs|ms|s|m|h|d|w|y)/y;
  let pos = 0;
  let total = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * GO_UNITS[m[2]!]!;
    pos = part.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/** Parses a range or offset (`5m`, `1h30m`, also Go forms like `1.5m`) into whole milliseconds. */
export function parseRangeDuration(text: string): number | undefined {
  const prom = parseDurationMs(text);
  if (prom !== undefined) return prom;
  const s = parseGoDurationSeconds(text);
  return s === undefined ? undefined : Math.round(s * 1000);
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  eb: 1e18,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
  eib: 2 ** 60,
};

/** Parses a byte size as Loki does (`20MB` = 20·10⁶, `1KiB` = 1024, case-insensitive) into bytes. */
export function parseBytes(text: string): number {
  const m = /^((?:\d+(?:\.\d*)?|\.\d+))([a-z]+)$/i.exec(text);
  const unit = m === null ? undefined : BYTE_UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) throw new Error(`invalid bytes ${text}`);
  return Number(m[1]) * unit;
}
