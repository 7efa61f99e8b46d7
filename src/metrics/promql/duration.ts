/**
 * Prometheus duration strings (`5m`, `1h30m`, `10s53ms`): units y w d h m s ms, each at most once
 * and from largest to smallest; the bare `0` is allowed. A year is 365 days.
 */

const UNITS: ReadonlyMap<string, { ms: number; rank: number }> = new Map([
  ["y", { ms: 365 * 24 * 3600_000, rank: 1 }],
  ["w", { ms: 7 * 24 * 3600_000, rank: 2 }],
  ["d", { ms: 24 * 3600_000, rank: 3 }],
  ["h", { ms: 3600_000, rank: 4 }],
  ["m", { ms: 60_000, rank: 5 }],
  ["s", { ms: 1000, rank: 6 }],
  ["ms", { ms: 1, rank: 7 }],
]);

/** The largest duration Go's `time.Duration` can hold, in ms. */
const MAX_DURATION_MS = 9_223_372_036_854;

/** The outcome of {@link parseDuration}: milliseconds, or why the text is not a duration. */
export type DurationResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly error: string };

/** Parses a Prometheus duration string into milliseconds (like `model.ParseDuration`). */
export function parseDuration(s: string): DurationResult {
  if (s === "0") return { ok: true, ms: 0 };
  if (s === "") return { ok: false, error: "empty duration string" };
  let total = 0;
  let lastRank = 0;
  let i = 0;
  while (i < s.length) {
    const numStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === numStart) return { ok: false, error: `not a valid duration string: ${JSON.stringify(s)}` };
    const value = Number(s.slice(numStart, i));
    const unitStart = i;
    while (i < s.length && !isDigit(s.charCodeAt(i))) i++;
    if (i === unitStart) return { ok: false, error: `not a valid duration string: ${JSON.stringify(s)}` };
    const unitText = s.slice(unitStart, i);
    const unit = UNITS.get(unitText);
    if (!unit) {
      return {
        ok: false,
        error: `unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(s)}`,
      };
    }
    if (unit.rank <= lastRank)
      return { ok: false, error: `not a valid duration string: ${JSON.stringify(s)}` };
    lastRank = unit.rank;
    total += value * unit.ms;
    if (total > MAX_DURATION_MS) return { ok: false, error: "duration out of range" };
  }
  return { ok: true, ms: total };
}

/** Whether `s` is a well-formed Prometheus duration string. */
export function isDuration(s: string): boolean {
  return parseDuration(s).ok;
}

/**
 * Formats milliseconds like Prometheus's `model.Duration.String()`: `0s`, `1h30m`, `90d`; years
 * and weeks only when they divide the duration exactly. Negative input gets a leading `-`.
 */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return "0s";
  let out = "";
  const part = (unit: string, mult: number, exact: boolean): void => {
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  };
  part("y", 365 * 24 * 3600_000, true);
  part("w", 7 * 24 * 3600_000, true);
  part("d", 24 * 3600_000, false);
  part("h", 3600_000, false);
  part("m", 60_000, false);
  part("s", 1000, false);
  part("ms", 1, false);
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
