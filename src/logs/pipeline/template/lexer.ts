import { GO_SIMPLE_ESCAPES } from "../../../lib/go-escapes.js";
import { TemplateError } from "./errors.js";

/** Kinds of token in a template: `text` outside actions, the rest inside `{{ }}`. */
export type TokenKind =
  | "text"
  | "open"
  | "close"
  | "ident"
  | "keyword"
  | "field"
  | "var"
  | "dot"
  | "string"
  | "number"
  | "char"
  | "bool"
  | "nil"
  | "declare"
  | "assign"
  | "pipe"
  | "lparen"
  | "rparen"
  | "comma"
  | "eof";

/** One token: `value` is the decoded text (strings unquoted, fields without their dot). */
export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  /** 0-based start offset in the template text. */
  readonly pos: number;
  /** 0-based offset just past the token. */
  readonly end: number;
}

const KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "break",
  "continue",
  "define",
  "template",
  "block",
]);
const SPACE = new Set([" ", "\t", "\r", "\n"]);

/**
 * Splits Go template text into tokens, applying the trim markers `{{- ` and ` -}}` to the
 * surrounding text and dropping comments `{{/* … *\/}}`. Throws {@link TemplateError} at the
 * offending offset.
 */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    trimNext = false;
    if (open < 0) {
      if (text !== "") out.push({ kind: "text", value: text, pos: i, end: src.length });
      break;
    }
    let p = open + 2;
    if (src[p] === "-" && SPACE.has(src[p + 1] ?? "")) {
      text = text.replace(/[ \t\r\n]+$/, "");
      p += 2;
    }
    if (text !== "") out.push({ kind: "text", value: text, pos: i, end: open });
    if (src.startsWith("/*", p)) {
      const close = src.indexOf("*/", p + 2);
      if (close < 0) throw TemplateError.at(src, open, "unclosed comment");
      p = close + 2;
      if (src.startsWith(" -}}", p) || src.startsWith("\t-}}", p) || src.startsWith("\n-}}", p)) {
        trimNext = true;
        p += 4;
      } else if (src.startsWith("}}", p)) p += 2;
      else throw TemplateError.at(src, p, "comment ends before closing delimiter");
      i = p;
      continue;
    }
    out.push({ kind: "open", value: "{{", pos: open, end: p });
    const r = lexAction(src, p, out);
    i = r.next;
    trimNext = r.trim;
  }
  out.push({ kind: "eof", value: "", pos: src.length, end: src.length });
  return out;
}

function lexAction(src: string, start: number, out: Token[]): { next: number; trim: boolean } {
  let p = start;
  let depth = 0;
  for (;;) {
    const c = src[p];
    if (c === undefined) throw TemplateError.at(src, start, "unclosed action");
    if (SPACE.has(c)) {
      if (src[p + 1] === "-" && src.startsWith("}}", p + 2)) {
        if (depth > 0) throw TemplateError.at(src, p, "unclosed left paren");
        out.push({ kind: "close", value: "}}", pos: p, end: p + 4 });
        return { next: p + 4, trim: true };
      }
      p++;
      continue;
    }
    if (src.startsWith("}}", p)) {
      if (depth > 0) throw TemplateError.at(src, p, "unclosed left paren");
      out.push({ kind: "close", value: "}}", pos: p, end: p + 2 });
      return { next: p + 2, trim: false };
    }
    const s = p;
    const push = (kind: TokenKind, value: string, end: number) => {
      out.push({ kind, value, pos: s, end });
      p = end;
    };
    if (c === "|") push("pipe", "|", p + 1);
    else if (c === "(") {
      depth++;
      push("lparen", "(", p + 1);
    } else if (c === ")") {
      if (depth === 0) throw TemplateError.at(src, p, "unexpected right paren");
      depth--;
      push("rparen", ")", p + 1);
    } else if (c === ",") push("comma", ",", p + 1);
    else if (c === ":" && src[p + 1] === "=") push("declare", ":=", p + 2);
    else if (c === "=") push("assign", "=", p + 1);
    else if (c === '"') {
      const e = scanQuoted(src, p, '"');
      push("string", unquote(src, p, src.slice(p + 1, e - 1)), e);
    } else if (c === "`") {
      const e = src.indexOf("`", p + 1);
      if (e < 0) throw TemplateError.at(src, p, "unterminated raw quoted string");
      push("string", src.slice(p + 1, e).replaceAll("\r", ""), e + 1);
    } else if (c === "'") {
      const e = scanQuoted(src, p, "'");
      const v = unquote(src, p, src.slice(p + 1, e - 1));
      if ([...v].length !== 1)
        throw TemplateError.at(src, p, `malformed character constant: ${src.slice(p, e)}`);
      push("char", String(v.codePointAt(0)), e);
    } else if (c === "$") {
      const e = scanWord(src, p + 1);
      push("var", src.slice(p, e), e);
    } else if (c === ".") {
      if (isDigit(src[p + 1])) push("number", src.slice(p, scanNumber(src, p)), scanNumber(src, p));
      else {
        const e = scanWord(src, p + 1);
        push(e === p + 1 ? "dot" : "field", src.slice(p + 1, e), e);
      }
    } else if (isDigit(c) || ((c === "-" || c === "+") && (isDigit(src[p + 1]) || src[p + 1] === "."))) {
      const e = scanNumber(src, p);
      push("number", src.slice(p, e), e);
    } else if (isWordChar(c)) {
      const e = scanWord(src, p);
      const w = src.slice(p, e);
      if (src[e] === "." && src[e + 1] !== undefined && isWordChar(src[e + 1]!)) {
        throw TemplateError.at(src, e, `bad character ${JSON.stringify(".")} after identifier`);
      }
      if (w === "true" || w === "false") push("bool", w, e);
      else if (w === "nil") push("nil", w, e);
      else if (KEYWORDS.has(w)) push("keyword", w, e);
      else push("ident", w, e);
    } else throw TemplateError.at(src, p, `unrecognized character in action: ${JSON.stringify(c)}`);
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c);
}

function scanWord(src: string, p: number): number {
  let e = p;
  while (e < src.length && isWordChar(src[e]!)) e++;
  return e;
}

function scanNumber(src: string, p: number): number {
  let e = p;
  if (src[e] === "+" || src[e] === "-") e++;
  while (e < src.length) {
    const c = src[e]!;
    if (
      (c === "+" || c === "-") &&
      /[eEpP]/.test(src[e - 1] ?? "") &&
      !/^0[xX][0-9a-fA-F_]*$/.test(src.slice(p, e - 1).replace(/^[+-]/, ""))
    )
      e++;
    else if (/[0-9A-Za-z_.]/.test(c)) e++;
    else break;
  }
  return e;
}

function scanQuoted(src: string, p: number, q: string): number {
  let e = p + 1;
  for (;;) {
    const c = src[e];
    if (c === undefined || c === "\n") throw TemplateError.at(src, p, "unterminated quoted string");
    if (c === "\\") e += 2;
    else if (c === q) return e + 1;
    else e++;
  }
}

/** Decodes Go's escapes in a quoted string body (`\n`, `\x41`, `\u00e9`, `\101`). */
function unquote(src: string, pos: number, body: string): string {
  let out = "";
  const bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += Buffer.from(bytes).toString("utf8");
    bytes.length = 0;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      flush();
      out += c;
      continue;
    }
    const n = body[++i] ?? "";
    const simple = GO_SIMPLE_ESCAPES[n];
    if (simple !== undefined) {
      flush();
      out += simple;
    } else if (n === "x" || n === "u" || n === "U" || (n >= "0" && n <= "7")) {
      const len = n === "x" ? 2 : n === "u" ? 4 : n === "U" ? 8 : 3;
      const digits = n >= "0" && n <= "7" ? body.slice(i, i + 3) : body.slice(i + 1, i + 1 + len);
      const radix = n >= "0" && n <= "7" ? 8 : 16;
      const valid = radix === 8 ? /^[0-7]{3}$/ : /^[0-9a-fA-F]+$/;
      if (digits.length !== len || !valid.test(digits))
        throw TemplateError.at(src, pos, "invalid syntax in quoted string");
      const v = Number.parseInt(digits, radix);
      i += radix === 8 ? 2 : len;
      if (n === "x" || radix === 8) {
        if (v > 255) throw TemplateError.at(src, pos, "invalid syntax in quoted string");
        bytes.push(v);
      } else {
        flush();
        if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
          throw TemplateError.at(src, pos, "invalid syntax in quoted string");
        out += String.fromCodePoint(v);
      }
    } else throw TemplateError.at(src, pos, "invalid syntax in quoted string");
  }
  flush();
  return out;
}
