import { GO_SIMPLE_ESCAPES } from "../../lib/go-escapes.js";
import { LogQLParseError } from "./errors.js";
import { parseNumber } from "./units.js";

/** Token kinds of LogQL. Keywords are identifiers; the parser gives them meaning by context. */
export type TokenKind = "ident" | "string" | "number" | "duration" | "bytes" | "flag" | "op" | "eof";

/** One token with its offset (UTF-16 units) in the query text. */
export interface Token {
  readonly kind: TokenKind;
  /** The token as written (for strings, including the quotes). */
  readonly text: string;
  /** Decoded value for strings; the text otherwise. */
  readonly value: string;
  readonly pos: number;
}

const OPERATORS = [
  "|=",
  "|~",
  "|>",
  "!=",
  "!~",
  "!>",
  "=~",
  "==",
  ">=",
  "<=",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ",",
  "=",
  "|",
  ">",
  "<",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
];

const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)$/;
const GO_DURATION =
  /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h|d|w|y)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h|d|w|y))*$/;
const BYTES = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[kmgtpe]i?)?b$/i;

/** Splits a LogQL query into tokens; `#` starts a comment to the end of the line. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "`") {
      const [value, end] = readString(src, i);
      out.push({ kind: "string", text: src.slice(start, end), value, pos: start });
      i = end;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(src[i + 1] ?? ""))) {
      i = scanNumberLike(src, i);
      const text = src.slice(start, i);
      const kind: TokenKind = NUMBER.test(text)
        ? "number"
        : GO_DURATION.test(text)
          ? "duration"
          : BYTES.test(text)
            ? "bytes"
            : fail(src, start, `invalid number, duration or bytes ${JSON.stringify(text)}`);
      if (kind === "number" && !Number.isFinite(parseNumber(text)))
        fail(src, start, `number ${text} out of range`);
      out.push({ kind, text, value: text, pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      const text = src.slice(start, i);
      out.push({ kind: "ident", text, value: text, pos: start });
      continue;
    }
    if (c === "-" && src[i + 1] === "-" && isIdentStart(src[i + 2] ?? "")) {
      i += 2;
      while (i < src.length && (isIdentPart(src[i]!) || src[i] === "-")) i++;
      const text = src.slice(start, i);
      out.push({ kind: "flag", text, value: text, pos: start });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op === undefined) fail(src, start, `unexpected character ${JSON.stringify(c)}`);
    out.push({ kind: "op", text: op, value: op, pos: start });
    i += op.length;
  }
  out.push({ kind: "eof", text: "", value: "", pos: src.length });
  return out;
}

function scanNumberLike(src: string, i: number): number {
  let j = i;
  while (j < src.length) {
    const ch = src[j]!;
    if (isDigit(ch) || ch === "." || /[a-zA-Zµ]/.test(ch)) {
      j++;
    } else if ((ch === "+" || ch === "-") && /^(?:\d+(?:\.\d*)?|\.\d+)[eE]$/.test(src.slice(i, j))) {
      j++;
    } else {
      break;
    }
  }
  return j;
}

function readString(src: string, start: number): [string, number] {
  const quote = src[start]!;
  let i = start + 1;
  if (quote === "`") {
    const end = src.indexOf("`", i);
    if (end < 0) fail(src, start, "unterminated raw string");
    return [src.slice(i, end), end + 1];
  }
  let out = "";
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') return [out, i + 1];
    if (c === "\n") break;
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e !== undefined && GO_SIMPLE_ESCAPES[e] !== undefined) {
      out += GO_SIMPLE_ESCAPES[e];
      i += 2;
      continue;
    }
    const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexLen > 0) {
      const hex = src.slice(i + 2, i + 2 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) fail(src, i, "invalid escape in string");
      const cp = Number.parseInt(hex, 16);
      if (cp > 0x10ffff) fail(src, i, "invalid escape in string");
      out += hexLen === 4 ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      i += 2 + hexLen;
      continue;
    }
    const oct = src.slice(i + 1, i + 4);
    if (/^[0-3][0-7]{2}$/.test(oct)) {
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 4;
      continue;
    }
    fail(src, i, "invalid escape in string");
  }
  return fail(src, start, "unterminated string");
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c) || c === ":";
}

function fail(src: string, pos: number, message: string): never {
  throw LogQLParseError.at(src, pos, message);
}
