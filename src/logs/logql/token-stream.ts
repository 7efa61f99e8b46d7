import { translateRE2 } from "../../model/re2.js";
import { LogQLParseError } from "./errors.js";
import type { Token } from "./lexer.js";
import { parseNumber } from "./units.js";

/** Most levels of nesting a query may have. */
export const MAX_NESTING = 500;

/** A cursor over the tokens of one query, with the error helpers every parser part shares. */
export class TokenStream {
  #i = 0;
  #depth = 0;

  constructor(
    /** The query text, for error positions. */
    readonly src: string,
    /** The tokens, ending with `eof`. */
    readonly tokens: readonly Token[],
  ) {}

  /**
   * Runs `parse` one nesting level deeper; refuses queries whose tree would be deeper than
   * {@link MAX_NESTING} levels (parentheses, operator chains, aggregations), so that hostile input ends
   * in a parse error, not a stack overflow here, in the printer or in the engine.
   */
  nested<T>(parse: () => T): T {
    this.#depth++;
    this.checkDepth(0);
    try {
      return parse();
    } finally {
      this.#depth--;
    }
  }

  /** Throws when the current nesting plus `extra` levels (a left-associative chain) is too deep. */
  checkDepth(extra: number): void {
    if (this.#depth + extra > MAX_NESTING) {
      throw this.error(this.peek(), `query nested too deeply: more than ${MAX_NESTING} levels`);
    }
  }

  /** The token `ahead` positions on (the `eof` token past the end). */
  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.#i + ahead, this.tokens.length - 1)]!;
  }

  /** Consumes and returns the current token (stays on `eof`). */
  next(): Token {
    const t = this.peek();
    if (this.#i < this.tokens.length - 1) this.#i++;
    return t;
  }

  /** Whether the token `ahead` positions on is the operator `text`. */
  isOp(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "op" && t.text === text;
  }

  /** Whether the token `ahead` positions on is the identifier (keyword) `text`. */
  isIdent(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "ident" && t.text === text;
  }

  /** Consumes the operator `text` if it is next. */
  accept(text: string): boolean {
    if (this.isOp(text)) {
      this.next();
      return true;
    }
    return false;
  }

  /** Consumes the operator `text` or throws a syntax error. */
  expectOp(text: string): Token {
    if (!this.isOp(text)) throw this.unexpected(JSON.stringify(text));
    return this.next();
  }

  /** Consumes a token of `kind` or throws a syntax error naming `what` was expected. */
  expectKind(kind: Token["kind"], what: string): Token {
    if (this.peek().kind !== kind) throw this.unexpected(what);
    return this.next();
  }

  /** Throws unless every token was consumed. */
  expectEnd(): void {
    if (this.peek().kind !== "eof") throw this.unexpected("end of query");
  }

  /** An error at `tok`. */
  error(tok: Token, reason: string): LogQLParseError {
    return LogQLParseError.at(this.src, tok.pos, reason);
  }

  /** A syntax error at the current token: `unexpected X, expecting …`. */
  unexpected(expecting: string): LogQLParseError {
    const t = this.peek();
    const found = t.kind === "eof" ? "end of query" : `${describe(t)} ${t.text}`;
    return this.error(t, `syntax error: unexpected ${found}, expecting ${expecting}`);
  }

  /** A number literal with an optional sign. */
  parseSignedNumber(): number {
    const sign = this.isOp("-") ? -1 : 1;
    if (this.isOp("-") || this.isOp("+")) this.next();
    return sign * parseNumber(this.expectKind("number", "a number").text);
  }

  /** Throws at `at` when `re` is not a valid RE2 regular expression. */
  checkRegexp(at: Token, re: string, where: string): void {
    try {
      new RegExp(translateRE2(re), "su");
    } catch (err) {
      throw this.error(at, `invalid regexp ${JSON.stringify(re)} in ${where}: ${(err as Error).message}`);
    }
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case "ident":
      return "IDENTIFIER";
    case "string":
      return "STRING";
    case "number":
      return "NUMBER";
    case "duration":
      return "DURATION";
    case "bytes":
      return "BYTES";
    case "flag":
      return "FLAG";
    default:
      return "token";
  }
}
