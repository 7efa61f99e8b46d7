import { ParseError } from "./errors.js";
import { unquoteString } from "./string-literal.js";

/** The kinds of PromQL tokens. Keywords (`by`, `and`, `offset`, …) come as identifiers; the parser decides by context. */
export type TokenKind =
  | "number"
  | "duration"
  | "string"
  | "identifier"
  | "{"
  | "}"
  | "("
  | ")"
  | "["
  | "]"
  | ","
  | ":"
  | "@"
  | "="
  | "=~"
  | "!="
  | "!~"
  | "=="
  | "<"
  | "<="
  | ">"
  | ">="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "^"
  | "eof";

/** One token: its kind, its source text, its 0-based `[start, end)` range and, for strings, the unquoted value. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The unquoted value of a string token; the text otherwise. */
  readonly value: string;
}

/** What the lexer accepts as a duration token; the parser then checks unit order and range. */
const DURATION_SHAPE = /^(?:\d+(?:ms|[smhdwy]))+$/;

const PUNCT_2: ReadonlySet<string> = new Set(["=~", "!=", "!~", "==", "<=", ">="]);
const PUNCT_1: ReadonlySet<string> = new Set([
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ",",
  "@",
  "=",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
]);

/**
 * A pull lexer over one query. Tracks whether it is inside `{…}` (identifiers have no colons there)
 * or `[…]` (a colon separates range and step). Throws {@link ParseError} on malformed input.
 */
export class Lexer {
  #pos = 0;
  #inBraces = false;
  #inBrackets = false;

  constructor(readonly input: string) {}

  /** The next token; `eof` forever at the end. */
  next(): Token {
    this.#skipSpaceAndComments();
    const s = this.input;
    const start = this.#pos;
    if (start >= s.length) return tok("eof", "", start, start);
    const ch = s[start]!;
    const two = s.slice(start, start + 2);

    if (ch === '"' || ch === "'" || ch === "`") return this.#string(ch);
    if (isDigit(ch) || (ch === "." && isDigit(s[start + 1] ?? ""))) return this.#numberOrDuration();
    if (isAlpha(ch) || (ch === ":" && !this.#inBrackets && !this.#inBraces)) return this.#word();
    if (ch === ":" && this.#inBrackets) {
      this.#pos++;
      return tok(":", ":", start, start + 1);
    }
    if (PUNCT_2.has(two)) {
      this.#pos += 2;
      return tok(two as TokenKind, two, start, start + 2);
    }
    if (PUNCT_1.has(ch)) {
      this.#pos++;
      if (ch === "{") this.#inBraces = true;
      else if (ch === "}") this.#inBraces = false;
      else if (ch === "[") this.#inBrackets = true;
      else if (ch === "]") this.#inBrackets = false;
      return tok(ch as TokenKind, ch, start, start + 1);
    }
    if (ch === "!") throw new ParseError(s, { start, end: start + 1 }, "unexpected character after '!'");
    throw new ParseError(s, { start, end: start + 1 }, `unexpected character: ${JSON.stringify(ch)}`);
  }

  #skipSpaceAndComments(): void {
    const s = this.input;
    while (this.#pos < s.length) {
      const c = s[this.#pos]!;
      if (c === " " || c === "\t" || c === "\n" || c === "\r") {
        this.#pos++;
      } else if (c === "#") {
        while (this.#pos < s.length && s[this.#pos] !== "\n") this.#pos++;
      } else {
        break;
      }
    }
  }

  #string(quote: string): Token {
    const s = this.input;
    const start = this.#pos;
    let i = start + 1;
    for (;;) {
      const c = s[i];
      if (c === undefined || (c === "\n" && quote !== "`")) {
        throw new ParseError(s, { start, end: i }, "unterminated quoted string");
      }
      if (c === "\\" && quote !== "`") {
        i += 2;
        continue;
      }
      i++;
      if (c === quote) break;
    }
    const raw = s.slice(start, i);
    const res = unquoteString(raw);
    if (!res.ok) throw new ParseError(s, { start: start + res.offset, end: i }, res.error);
    this.#pos = i;
    return { kind: "string", text: raw, start, end: i, value: res.value };
  }

  #numberOrDuration(): Token {
    const s = this.input;
    const start = this.#pos;
    let i = start;
    if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && isHexDigit(s[i + 2] ?? "")) {
      i += 2;
      while (isHexDigit(s[i] ?? "")) i++;
    } else {
      while (isDigit(s[i] ?? "")) i++;
      if (s[i] === ".") {
        i++;
        while (isDigit(s[i] ?? "")) i++;
      }
      if (
        (s[i] === "e" || s[i] === "E") &&
        (isDigit(s[i + 1] ?? "") || (isSign(s[i + 1]) && isDigit(s[i + 2] ?? "")))
      ) {
        i += isSign(s[i + 1]) ? 2 : 1;
        while (isDigit(s[i] ?? "")) i++;
      }
    }
    if (!isWordChar(s[i] ?? "")) {
      this.#pos = i;
      const text = s.slice(start, i);
      return tok("number", text, start, i);
    }
    // A number directly followed by letters: a duration such as `5m` or `1h30m`, or garbage.
    let j = start;
    while (isWordChar(s[j] ?? "") || s[j] === ".") j++;
    const text = s.slice(start, j);
    if (!DURATION_SHAPE.test(text)) {
      throw new ParseError(s, { start, end: j }, `bad number or duration syntax: ${JSON.stringify(text)}`);
    }
    this.#pos = j;
    return tok("duration", text, start, j);
  }

  #word(): Token {
    const s = this.input;
    const start = this.#pos;
    const colons = !this.#inBraces && !this.#inBrackets;
    let i = start + 1;
    while (i < s.length && (isWordChar(s[i]!) || (colons && s[i] === ":"))) i++;
    this.#pos = i;
    const text = s.slice(start, i);
    const lower = text.toLowerCase();
    if (!this.#inBraces && (lower === "inf" || lower === "nan")) return tok("number", text, start, i);
    return tok("identifier", text, start, i);
  }
}

function tok(kind: TokenKind, text: string, start: number, end: number): Token {
  return { kind, text, start, end, value: text };
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
}

function isAlpha(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isWordChar(c: string): boolean {
  return isAlpha(c) || isDigit(c);
}

function isSign(c: string | undefined): boolean {
  return c === "+" || c === "-";
}
