/**
 * A logfmt scanner following go-logfmt's grammar, which Loki uses: pairs `key=value`, `key="quoted
 * \"value\""`, or a bare `key` (empty value), separated by whitespace.
 */

/** Receives each pair in order; `value` is `""` for a bare key or `key=`. */
export type LogfmtVisitor = (key: string, value: string) => void;

/**
 * Scans `line`, calling `visit` per pair. In strict mode the first syntax error stops the scan and
 * is returned; otherwise a malformed token is skipped up to the next whitespace and scanning goes
 * on. Returns undefined when no error stopped the scan. Never throws.
 */
export function scanLogfmt(line: string, strict: boolean, visit: LogfmtVisitor): string | undefined {
  const n = line.length;
  let i = 0;
  const skipToSpace = () => {
    while (i < n && line.charCodeAt(i) > 32) i++;
  };
  while (i < n) {
    while (i < n && line.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const keyStart = i;
    let bad: string | undefined;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c <= 32 || c === 61 /* = */) break;
      if (c === 34 /* " */ && bad === undefined) bad = `unexpected '"' at pos ${i + 1}`;
      i++;
    }
    const key = line.slice(keyStart, i);
    if (key === "") bad = `unexpected '=' at pos ${i + 1}`;
    if (bad !== undefined) {
      if (strict) return `logfmt syntax error at pos ${i + 1} : ${bad}`;
      skipToSpace();
      continue;
    }
    if (i >= n || line.charCodeAt(i) !== 61) {
      visit(key, "");
      continue;
    }
    i++; // '='
    if (i < n && line.charCodeAt(i) === 34) {
      const r = readQuoted(line, i);
      if (typeof r === "string") {
        if (strict) return `logfmt syntax error at pos ${i + 1} : ${r}`;
        skipToSpace();
        continue;
      }
      i = r.end;
      if (i < n && line.charCodeAt(i) > 32) {
        if (strict) return `logfmt syntax error at pos ${i + 1} : unexpected character after quoted value`;
        skipToSpace();
        continue;
      }
      visit(key, r.value);
      continue;
    }
    const valStart = i;
    let valBad = false;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c <= 32) break;
      if (c === 61 || c === 34) valBad = true;
      i++;
    }
    if (valBad) {
      if (strict) return `logfmt syntax error at pos ${i} : unexpected '=' or '"' in value`;
      continue;
    }
    visit(key, line.slice(valStart, i));
  }
  return undefined;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** Reads a quoted value starting at the quote `at`; an error message when unterminated or bad. */
function readQuoted(line: string, at: number): { value: string; end: number } | string {
  let i = at + 1;
  let out = "";
  let from = i;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"') return { value: out + line.slice(from, i), end: i + 1 };
    if (c === "\\") {
      out += line.slice(from, i);
      const e = line[i + 1];
      if (e === "u") {
        const hex = line.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) return "invalid \\u escape";
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else {
        const r = e === undefined ? undefined : ESCAPES[e];
        if (r === undefined) return "invalid escape in quoted value";
        out += r;
        i += 2;
      }
      from = i;
      continue;
    }
    i++;
  }
  return "unterminated quoted value";
}
