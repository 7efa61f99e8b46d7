/**
 * PromQL string literals: double-quoted and single-quoted with Go escapes, back-quoted raw. Also
 * Go's `strconv.Quote`, which Prometheus uses to print strings and label values.
 */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/**
 * Decodes UTF-8 bytes; each byte that is not part of a valid sequence becomes the lone surrogate
 * U+DC00+byte ("surrogateescape"), so that invalid input stays visible: {@link quoteString}
 * prints it back as `\xHH` and label-name checks reject it.
 */
function decodeBytes(bytes: readonly number[]): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    let cp = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
    }
    let ok = need > 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp < 0xe000)) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}

/** Whether `s` holds only whole characters (no lone surrogates, hence no escaped invalid UTF-8). */
export function isWellFormedText(s: string): boolean {
  return !/[\uD800-\uDFFF]/u.test(s);
}

/** The outcome of {@link unquoteString}: the value, or why the literal is malformed and where (offset into it). */
export type UnquoteResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: string; readonly offset: number };

/**
 * Interprets `raw` (including its quotes) as a PromQL string literal, like Prometheus's
 * `strutil.Unquote`. `\xHH` and octal escapes are bytes; consecutive byte escapes are decoded as UTF-8.
 */
export function unquoteString(raw: string): UnquoteResult {
  const quote = raw[0];
  if (raw.length < 2 || raw[raw.length - 1] !== quote) {
    return { ok: false, error: "unterminated quoted string", offset: 0 };
  }
  const body = raw.slice(1, -1);
  if (quote === "`") {
    if (body.includes("`")) return { ok: false, error: "unexpected backquote in raw string", offset: 0 };
    return { ok: true, value: body };
  }
  if (quote !== '"' && quote !== "'") return { ok: false, error: "not a string literal", offset: 0 };
  let out = "";
  let bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length > 0) {
      out += decodeBytes(bytes);
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === quote || ch === "\n") {
      return { ok: false, error: "unterminated quoted string", offset: i + 1 };
    }
    if (ch !== "\\") {
      flushBytes();
      out += ch;
      continue;
    }
    const esc = body[i + 1];
    if (esc === undefined) return { ok: false, error: "escape sequence not terminated", offset: i + 1 };
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      flushBytes();
      out += simple;
      i++;
      continue;
    }
    if (esc === quote) {
      flushBytes();
      out += esc;
      i++;
      continue;
    }
    if (esc === "x" || esc === "u" || esc === "U") {
      const len = esc === "x" ? 2 : esc === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) {
        return { ok: false, error: "illegal character in escape sequence", offset: i + 1 };
      }
      const code = Number.parseInt(hex, 16);
      if (esc === "x") {
        bytes.push(code);
      } else {
        if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) {
          return { ok: false, error: "escape sequence is an invalid Unicode code point", offset: i + 1 };
        }
        flushBytes();
        out += String.fromCodePoint(code);
      }
      i += 1 + len;
      continue;
    }
    if (esc >= "0" && esc <= "7") {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255) {
        return { ok: false, error: "illegal character in escape sequence", offset: i + 1 };
      }
      bytes.push(Number.parseInt(oct, 8));
      i += 3;
      continue;
    }
    return { ok: false, error: `unknown escape sequence ${JSON.stringify(`\\${esc}`)}`, offset: i + 1 };
  }
  flushBytes();
  return { ok: true, value: out };
}

/** Go's `strconv.Quote`: a double-quoted literal with Go escapes for quotes, backslashes and control characters. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0xdc80 && c <= 0xdcff) out += `\\x${(c - 0xdc00).toString(16).padStart(2, "0")}`;
    else if ((c >= 0x80 && c < 0xa0) || (c >= 0xd800 && c < 0xe000))
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
