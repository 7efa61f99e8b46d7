/**
 * The label set of a Loki stream in its selector text form, `{app="web", env="prod"}`, as Loki's
 * clients send it in `StreamAdapter.labels` and as Prometheus writes label sets: values are Go
 * string literals (`"…"` with Go's escapes, or a raw `` `…` `` string), separated by commas, with
 * only `=` between name and value. A name may also be quoted (Prometheus 3's form), which is how
 * {@link formatStreamLabels} writes a name that is not a valid label name so that it cannot be
 * mistaken for other syntax; the parser then refuses it by name.
 */

/** A stream's labels could not be parsed; `offset` is the UTF-16 index in the text where it went wrong. */
export class StreamLabelsError extends Error {
  override readonly name: string = "StreamLabelsError";

  /** `message` quotes the (shortened) text and says what was expected. */
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A valid label name: the classic Prometheus character set, which Loki's validation also uses. */
export const LABEL_NAME_RE: RegExp = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const MAX_QUOTED = 120;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Parses a stream's labels in selector form into `[name, value]` pairs sorted by name (UTF-16 code
 * unit order, which is byte order for valid names). Pairs with empty values are kept: what they mean
 * is the validator's business. Throws {@link StreamLabelsError} on a syntax error, a matcher other
 * than `=`, an invalid name, a duplicate name, or escapes that do not make valid UTF-8.
 */
export function parseStreamLabels(text: string): [string, string][] {
  const p = new Parser(text);
  const pairs = p.labels();
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i]![0] === pairs[i - 1]![0]) {
      throw new StreamLabelsError(
        `stream labels ${quoteText(text)}: duplicate label name "${pairs[i]![0]}"`,
        0,
      );
    }
  }
  return pairs;
}

/**
 * Writes `pairs` in selector form, sorted by name: `{a="1", b="2"}`. Values are written as Go
 * string literals (backslash, double quote and control characters escaped); a name that is not a
 * valid label name is written quoted, so the text always parses back to the same names and values
 * (and then fails {@link parseStreamLabels}'s name check rather than turning into other labels).
 */
export function formatStreamLabels(pairs: Iterable<readonly [string, string]>): string {
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = "{";
  for (let i = 0; i < sorted.length; i++) {
    const [name, value] = sorted[i]!;
    if (i > 0) out += ", ";
    out += LABEL_NAME_RE.test(name) ? name : goQuote(name);
    out += "=";
    out += goQuote(value);
  }
  return `${out}}`;
}

/** `s` as a Go double-quoted string literal that {@link parseStreamLabels} reads back exactly. */
function goQuote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = "\\\\";
    else if (c === 0x0a) esc = "\\n";
    else if (c === 0x0d) esc = "\\r";
    else if (c === 0x09) esc = "\\t";
    else if (c < 0x20 || c === 0x7f) esc = `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate has no UTF-8 form; write U+FFFD as TextEncoder would.
      const pairHigh = c <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1));
      if (pairHigh) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    }
    if (esc !== undefined) {
      out += s.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return `${out}${s.slice(from)}"`;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The text, shortened for an error message. */
function quoteText(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Characters that end an unquoted label name. */
function endsName(c: number): boolean {
  return (
    isSpace(c) ||
    c === 0x3d /* = */ ||
    c === 0x21 /* ! */ ||
    c === 0x7e /* ~ */ ||
    c === 0x2c /* , */ ||
    c === 0x7b /* { */ ||
    c === 0x7d /* } */ ||
    c === 0x22 /* " */ ||
    c === 0x60 /* ` */
  );
}

class Parser {
  #pos = 0;

  constructor(readonly text: string) {}

  labels(): [string, string][] {
    const out: [string, string][] = [];
    this.#space();
    this.#expect(0x7b, "'{'");
    this.#space();
    if (this.#peek() === 0x7d) {
      this.#pos++;
      this.#end();
      return out;
    }
    for (;;) {
      const name = this.#name();
      this.#space();
      this.#operator(name);
      this.#space();
      const value = this.#string("label value");
      out.push([name, value]);
      this.#space();
      const c = this.#peek();
      if (c === 0x2c) {
        this.#pos++;
        this.#space();
        if (this.#peek() === 0x7d) {
          this.#pos++; // a trailing comma, as Prometheus's selector syntax allows
          break;
        }
        continue;
      }
      if (c === 0x7d) {
        this.#pos++;
        break;
      }
      throw this.#error(c === undefined ? "missing '}'" : "expected ',' or '}'");
    }
    this.#end();
    return out;
  }

  #name(): string {
    const c = this.#peek();
    let name: string;
    const at = this.#pos;
    if (c === 0x22 || c === 0x60) {
      name = this.#string("label name");
    } else {
      while (this.#pos < this.text.length && !endsName(this.text.charCodeAt(this.#pos))) this.#pos++;
      name = this.text.slice(at, this.#pos);
      if (name === "") throw this.#error("expected a label name");
    }
    if (!LABEL_NAME_RE.test(name)) {
      throw new StreamLabelsError(
        `stream labels ${quoteText(this.text)}: invalid label name ${JSON.stringify(name)}: names match [a-zA-Z_][a-zA-Z0-9_]*`,
        at,
      );
    }
    return name;
  }

  #operator(name: string): void {
    const c = this.#peek();
    const next = this.text.charCodeAt(this.#pos + 1);
    if (c === 0x3d && next !== 0x7e) {
      this.#pos++;
      return;
    }
    if (c === 0x3d || c === 0x21) {
      const op = this.text.slice(this.#pos, this.#pos + 2);
      throw this.#error(`label ${name} uses ${JSON.stringify(op)}: a stream's labels take only '='`);
    }
    throw this.#error(`expected '=' after label name ${name}`);
  }

  /** A Go string literal: `"…"` with escapes, or a raw `` `…` `` string. */
  #string(what: string): string {
    const quote = this.#peek();
    if (quote === 0x60) {
      const start = this.#pos + 1;
      const close = this.text.indexOf("`", start);
      if (close < 0) throw this.#error(`unterminated raw string in ${what}`);
      this.#pos = close + 1;
      return this.text.slice(start, close);
    }
    if (quote !== 0x22) throw this.#error(`expected a quoted ${what}`);
    const start = this.#pos + 1;
    // Fast path: no escapes.
    let i = start;
    const t = this.text;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.#pos = i + 1;
        return t.slice(start, i);
      }
      if (c === 0x5c || c === 0x0a) break;
    }
    return this.#escaped(start, what);
  }

  /** The slow path of {@link Parser.#string}: decodes escapes into bytes, then the bytes as UTF-8. */
  #escaped(start: number, what: string): string {
    const t = this.text;
    const bytes: number[] = [];
    let i = start;
    let runFrom = start;
    const flush = (to: number): void => {
      if (to > runFrom) for (const b of utf8.encode(t.slice(runFrom, to))) bytes.push(b);
    };
    for (;;) {
      if (i >= t.length) {
        this.#pos = i;
        throw this.#error(`unterminated string in ${what}`);
      }
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x0a) {
        this.#pos = i;
        throw this.#error(`newline inside a quoted ${what}; write it as \\n`);
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      flush(i);
      const e = t[i + 1];
      let len = 2;
      switch (e) {
        case "a":
          bytes.push(7);
          break;
        case "b":
          bytes.push(8);
          break;
        case "f":
          bytes.push(12);
          break;
        case "n":
          bytes.push(10);
          break;
        case "r":
          bytes.push(13);
          break;
        case "t":
          bytes.push(9);
          break;
        case "v":
          bytes.push(11);
          break;
        case "\\":
          bytes.push(0x5c);
          break;
        case '"':
          bytes.push(0x22);
          break;
        case "x": {
          bytes.push(this.#hex(i + 2, 2, what));
          len = 4;
          break;
        }
        case "u":
        case "U": {
          const n = e === "u" ? 4 : 8;
          const cp = this.#hex(i + 2, n, what);
          if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            this.#pos = i;
            throw this.#error(`escape \\${e} names no Unicode character in ${what}`);
          }
          for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
          len = 2 + n;
          break;
        }
        default: {
          if (e !== undefined && e >= "0" && e <= "7") {
            const oct = t.slice(i + 1, i + 4);
            if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255) {
              this.#pos = i;
              throw this.#error(`invalid octal escape in ${what}`);
            }
            bytes.push(Number.parseInt(oct, 8));
            len = 4;
            break;
          }
          this.#pos = i;
          throw this.#error(`unknown escape \\${e ?? ""} in ${what}`);
        }
      }
      i += len;
      runFrom = i;
    }
    flush(i);
    this.#pos = i + 1;
    try {
      return utf8Strict.decode(new Uint8Array(bytes));
    } catch {
      this.#pos = start;
      throw this.#error(`escapes in ${what} do not make valid UTF-8`);
    }
  }

  #hex(at: number, n: number, what: string): number {
    const s = this.text.slice(at, at + n);
    if (s.length !== n || !/^[0-9a-fA-F]+$/.test(s)) {
      this.#pos = at;
      throw this.#error(`expected ${n} hex digits in an escape in ${what}`);
    }
    return Number.parseInt(s, 16);
  }

  #peek(): number | undefined {
    return this.#pos < this.text.length ? this.text.charCodeAt(this.#pos) : undefined;
  }

  #space(): void {
    while (this.#pos < this.text.length && isSpace(this.text.charCodeAt(this.#pos))) this.#pos++;
  }

  #expect(c: number, what: string): void {
    if (this.#peek() !== c) throw this.#error(`expected ${what}`);
    this.#pos++;
  }

  #end(): void {
    this.#space();
    if (this.#pos !== this.text.length) throw this.#error("unexpected text after '}'");
  }

  #error(what: string): StreamLabelsError {
    return new StreamLabelsError(
      `stream labels ${quoteText(this.text)}: ${what} at offset ${this.#pos}`,
      this.#pos,
    );
  }
}
