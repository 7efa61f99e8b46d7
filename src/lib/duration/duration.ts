const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

const PART = /(\d+)(ms|s|m|h|d|w|y)/y;

/**
 * Parses a Prometheus duration such as `15s`, `1h30m` or `500ms` into milliseconds. Units must
 * appear from largest to smallest, each at most once. Returns undefined when `text` is not one.
 */
export function parseDurationMs(text: string): number | undefined {
  if (text === "0") return 0;
  let total = 0;
  let pos = 0;
  let lastUnit = Number.POSITIVE_INFINITY;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    const unit = UNITS[m[2]!]!;
    if (unit >= lastUnit) return undefined;
    lastUnit = unit;
    total += Number(m[1]) * unit;
    pos = PART.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/** Formats milliseconds as a Prometheus duration, e.g. 5400000 → `1h30m`; 0 → `0s`. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  let out = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  for (const [unit, size] of Object.entries(UNITS).reverse()) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
