/**
 * Field access for the whitespace-separated text of /proc and /sys files, without regular expressions
 * and without splitting more of a line than is needed.
 */

const SPACE = 32;
const TAB = 9;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** The fields of `line`, separated by runs of spaces or tabs; leading and trailing blanks are ignored. */
export function fields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    if (isBlank(line.charCodeAt(i))) {
      if (start >= 0) {
        out.push(line.slice(start, i));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) out.push(line.slice(start));
  return out;
}

/** The `n`th field (0-based) of `line`, or `undefined`; scans only as far as that field. */
export function fieldAt(line: string, n: number): string | undefined {
  let seen = 0;
  let i = 0;
  const len = line.length;
  while (i < len) {
    while (i < len && isBlank(line.charCodeAt(i))) i++;
    if (i >= len) return undefined;
    const start = i;
    while (i < len && !isBlank(line.charCodeAt(i))) i++;
    if (seen === n) return line.slice(start, i);
    seen++;
  }
  return undefined;
}

/**
 * A decimal number (integer or fraction, optionally negative), or `NaN` for anything else: empty,
 * `undefined`, hex, `Infinity`, trailing garbage. Stricter than `Number()`, which accepts `""` as 0.
 */
export function parseNum(s: string | undefined): number {
  if (s === undefined || s.length === 0) return Number.NaN;
  const c = s.charCodeAt(0);
  const digitOrSign = (c >= 48 && c <= 57) || c === 45 || c === 46;
  if (!digitOrSign) return Number.NaN;
  const last = s.charCodeAt(s.length - 1);
  if (last < 48 || last > 57) return Number.NaN;
  return Number(s);
}

/** The lines of a file's text; a trailing newline does not yield an empty last line. */
export function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}
