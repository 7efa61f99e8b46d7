import { ParseError, type PositionRange } from "./errors.js";
import { Lexer, type Token, type TokenKind } from "./lexer.js";
import { quoteString } from "./string-literal.js";

/**
 * The parser's view of the lexer: lookahead, consumption, and errors that point at a token or
 * range of the query. Every error is a {@link ParseError}.
 */
export class TokenStream {
  readonly #lex: Lexer;
  readonly #buf: Token[] = [];
  #prevEnd = 0;

  constructor(readonly query: string) {
    this.#lex = new Lexer(query);
  }

  /** The token `k` positions ahead, without consuming it. */
  peek(k = 0): Token {
    while (this.#buf.length <= k) this.#buf.push(this.#lex.next());
    return this.#buf[k]!;
  }

  /** Consumes and returns the next token. */
  next(): Token {
    const t = this.peek();
    this.#buf.shift();
    this.#prevEnd = t.end;
    return t;
  }

  /** End offset of the most recently consumed token. */
  get prevEnd(): number {
    return this.#prevEnd;
  }

  /** Whether `t` is an identifier spelling one of `words` (case-insensitive, as PromQL keywords are). */
  isWord(t: Token, ...words: string[]): boolean {
    return t.kind === "identifier" && words.includes(t.text.toLowerCase());
  }

  /** Consumes a token of `kind`, or fails naming `context`. */
  expect(kind: TokenKind, context: string): Token {
    const t = this.next();
    if (t.kind !== kind)
      this.fail(t, `unexpected ${describe(t)} in ${context}, expected ${JSON.stringify(kind)}`);
    return t;
  }

  /** Throws a {@link ParseError} at `pos`. */
  readonly failAt = (pos: PositionRange, message: string): never => {
    throw new ParseError(this.query, pos, message);
  };

  /** Throws a {@link ParseError} at token `t`. */
  fail(t: Token, message: string): never {
    return this.failAt({ start: t.start, end: t.end }, message);
  }
}

/** How a token is named in error messages, e.g. `"}"`, `identifier "foo"`, `end of input`. */
export function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of input";
    case "identifier":
      return `identifier ${JSON.stringify(t.text)}`;
    case "number":
      return `number ${JSON.stringify(t.text)}`;
    case "duration":
      return `duration ${JSON.stringify(t.text)}`;
    case "string":
      return `string ${quoteString(t.text)}`;
    default:
      return JSON.stringify(t.text);
  }
}
