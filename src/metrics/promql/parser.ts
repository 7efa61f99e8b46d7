import type { Matcher } from "../../model/matcher.js";
import type { AggregateOp, BinaryOp, Expr, FillValues, NumberLiteral, VectorMatching } from "./ast.js";
import { ParseError, type PositionRange } from "./errors.js";
import { parseNumberLiteral } from "./float-text.js";
import { FUNCTIONS } from "./function-signatures.js";
import type { Token, TokenKind } from "./lexer.js";
import { durationMs, parsePostfix } from "./modifier-parser.js";
import { parseLabelList, parseSelector } from "./selector-parser.js";
import { describe, TokenStream } from "./token-stream.js";
import {
  type BinaryModifiers,
  checkAggregate,
  checkBinary,
  checkCall,
  checkUnary,
  PARAM_AGGREGATIONS,
} from "./typecheck.js";

/** Options for {@link parseExpr}. */
export interface ParseOptions {
  /**
   * Accept experimental functions (`sort_by_label`, `limitk`, `info`, …) and syntax: duration
   * expressions (`[5m+1m]`, `offset step()`), `anchored`/`smoothed`, and the `fill`, `fill_left`,
   * `fill_right` binary-operator modifiers. Default true.
   */
  readonly experimental?: boolean;
}

/**
 * Parses and type-checks a PromQL expression. Throws {@link ParseError} with a Prometheus-like
 * message (`1:5: parse error: unexpected "}"`) on any syntax or type error.
 */
export function parseExpr(query: string, opts: ParseOptions = {}): Expr {
  return new Parser(query, opts.experimental ?? true).parseQuery();
}

/**
 * Parses a series selector such as `up{job="api"}` (the `match[]` parameter of the metadata
 * endpoints) into its matchers. Throws {@link ParseError} for anything but a plain vector selector.
 */
export function parseSeriesSelector(text: string): Matcher[] {
  const e = parseExpr(text);
  if (e.type !== "VectorSelector" || e.offsetMs !== 0 || e.at !== undefined) {
    throw new ParseError(
      text,
      e.pos,
      `expected a series selector such as up{job="api"}, got ${JSON.stringify(text)}`,
    );
  }
  return [...e.matchers];
}

const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  atan2: 5,
  "^": 6,
};

const SYMBOL_OPS: ReadonlySet<TokenKind> = new Set([
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
]);
const WORD_OPS: ReadonlySet<string> = new Set(["and", "or", "unless", "atan2"]);
const AGGREGATORS: ReadonlySet<string> = new Set<AggregateOp>([
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "quantile",
  "count_values",
  "limitk",
  "limit_ratio",
]);
const EXPERIMENTAL_AGGREGATORS: ReadonlySet<string> = new Set(["limitk", "limit_ratio"]);

class Parser {
  readonly #ts: TokenStream;

  constructor(
    readonly query: string,
    readonly experimental: boolean,
  ) {
    this.#ts = new TokenStream(query);
  }

  parseQuery(): Expr {
    if (this.#ts.peek().kind === "eof") this.#ts.fail(this.#ts.peek(), "no expression found in input");
    const e = this.#parseBinary(0);
    const t = this.#ts.peek();
    if (t.kind !== "eof") this.#ts.fail(t, `unexpected ${describe(t)}`);
    return e;
  }

  // --- expressions ----------------------------------------------------------------------------

  #binaryOp(t: Token): BinaryOp | undefined {
    if (SYMBOL_OPS.has(t.kind)) return t.kind as BinaryOp;
    if (t.kind === "identifier") {
      const w = t.text.toLowerCase();
      if (WORD_OPS.has(w)) return w as BinaryOp;
    }
    return undefined;
  }

  #parseBinary(minPrec: number): Expr {
    let lhs = this.#parseUnary();
    for (;;) {
      const opTok = this.#ts.peek();
      const op = this.#binaryOp(opTok);
      if (op === undefined) break;
      const prec = PRECEDENCE[op];
      if (prec < minPrec) break;
      this.#ts.next();
      const mods = this.#parseBinaryModifiers();
      const rhs = this.#parseBinary(op === "^" ? prec : prec + 1);
      const pos = { start: lhs.pos.start, end: rhs.pos.end };
      const matching = checkBinary(op, lhs, rhs, mods, pos, this.#ts.failAt);
      lhs = { type: "BinaryExpr", op, lhs, rhs, returnBool: mods.returnBool, matching, pos };
    }
    return lhs;
  }

  #parseBinaryModifiers(): BinaryModifiers {
    let returnBool = false;
    if (this.#ts.isWord(this.#ts.peek(), "bool")) {
      this.#ts.next();
      returnBool = true;
    }
    let matching: VectorMatching = { card: "one-to-one", on: false, labels: [], include: [] };
    let explicitMatching = false;
    const t = this.#ts.peek();
    if (this.#ts.isWord(t, "on", "ignoring")) {
      this.#ts.next();
      explicitMatching = true;
      const on = t.text.toLowerCase() === "on";
      const labels = parseLabelList(this.#ts, "grouping opts");
      matching = { card: "one-to-one", on, labels, include: [] };
      const g = this.#ts.peek();
      if (this.#ts.isWord(g, "group_left", "group_right")) {
        this.#ts.next();
        const include = this.#ts.peek().kind === "(" ? parseLabelList(this.#ts, "grouping opts") : [];
        matching = {
          card: g.text.toLowerCase() === "group_left" ? "many-to-one" : "one-to-many",
          on,
          labels,
          include,
        };
      }
    } else if (this.#ts.isWord(t, "group_left", "group_right")) {
      this.#ts.fail(
        t,
        `unexpected ${describe(t)}, group modifiers need a preceding on(...) or ignoring(...)`,
      );
    }
    const fill = this.#parseFillModifiers();
    if (fill) {
      matching = { ...matching, fill };
      explicitMatching = true;
    }
    return { returnBool, explicitMatching, matching };
  }

  /**
   * The experimental `fill(v)`, `fill_left(v)`, `fill_right(v)` modifiers after the matching
   * clause. A modifier word counts only when `(` follows, so a metric named `fill` still parses.
   */
  #parseFillModifiers(): FillValues | undefined {
    let lhs: number | undefined;
    let rhs: number | undefined;
    let seen = false;
    for (;;) {
      const t = this.#ts.peek();
      if (!this.#ts.isWord(t, "fill", "fill_left", "fill_right") || this.#ts.peek(1).kind !== "(") break;
      const word = t.text.toLowerCase();
      if (!this.experimental) this.#ts.fail(t, `the ${word} modifier is experimental and must be enabled`);
      this.#ts.next();
      this.#ts.next(); // "("
      const value = this.#fillValue(word);
      this.#ts.expect(")", `${word} modifier`);
      if ((word !== "fill_right" && lhs !== undefined) || (word !== "fill_left" && rhs !== undefined)) {
        this.#ts.fail(t, `fill modifiers may not be set multiple times`);
      }
      if (word !== "fill_right") lhs = value;
      if (word !== "fill_left") rhs = value;
      seen = true;
    }
    return seen ? { lhs, rhs } : undefined;
  }

  /** A fill value: a number literal, optionally signed (`0`, `-1.5`, `NaN`, `-Inf`). */
  #fillValue(word: string): number {
    let sign = 1;
    const s = this.#ts.peek();
    if (s.kind === "-" || s.kind === "+") {
      this.#ts.next();
      if (s.kind === "-") sign = -1;
    }
    const t = this.#ts.next();
    const v = t.kind === "number" ? parseNumberLiteral(t.text) : undefined;
    if (v === undefined) this.#ts.fail(t, `unexpected ${describe(t)} in ${word} modifier, expected number`);
    return sign * v;
  }

  #parseUnary(): Expr {
    const t = this.#ts.peek();
    if (t.kind === "-" || t.kind === "+") {
      this.#ts.next();
      const operand = this.#parseBinary(PRECEDENCE["^"]);
      const pos = { start: t.start, end: operand.pos.end };
      if (operand.type === "NumberLiteral") {
        const value = t.kind === "-" ? -operand.value : operand.value;
        const folded: NumberLiteral = {
          type: "NumberLiteral",
          value,
          durationForm: operand.durationForm,
          pos,
        };
        return folded;
      }
      checkUnary(operand, pos, this.#ts.failAt);
      return { type: "UnaryExpr", op: t.kind, expr: operand, pos };
    }
    return parsePostfix(this.#ts, this.#parsePrimary(), this.experimental);
  }

  #parsePrimary(): Expr {
    const t = this.#ts.peek();
    switch (t.kind) {
      case "number": {
        this.#ts.next();
        const value = parseNumberLiteral(t.text);
        if (value === undefined) this.#ts.fail(t, `bad number or duration syntax: ${JSON.stringify(t.text)}`);
        return { type: "NumberLiteral", value, durationForm: false, pos: span(t) };
      }
      case "duration": {
        this.#ts.next();
        return {
          type: "NumberLiteral",
          value: durationMs(this.#ts, t) / 1000,
          durationForm: true,
          pos: span(t),
        };
      }
      case "string":
        this.#ts.next();
        return { type: "StringLiteral", value: t.value, pos: span(t) };
      case "(": {
        this.#ts.next();
        const inner = this.#parseBinary(0);
        const close = this.#ts.next();
        if (close.kind !== ")") this.#ts.fail(close, `unexpected ${describe(close)}, expected ")"`);
        return { type: "ParenExpr", expr: inner, pos: { start: t.start, end: close.end } };
      }
      case "{":
        return parseSelector(this.#ts, undefined);
      case "identifier": {
        const next = this.#ts.peek(1);
        const lower = t.text.toLowerCase();
        if (AGGREGATORS.has(lower) && (next.kind === "(" || this.#ts.isWord(next, "by", "without"))) {
          return this.#parseAggregation();
        }
        if (next.kind === "(") return this.#parseCall();
        return parseSelector(this.#ts, this.#ts.next());
      }
      case "eof":
        return this.#ts.fail(t, "unexpected end of input");
      default:
        return this.#ts.fail(t, `unexpected ${describe(t)}`);
    }
  }

  #parseCall(): Expr {
    const nameTok = this.#ts.next();
    const func = FUNCTIONS.get(nameTok.text);
    if (!func || (func.experimental && !this.experimental)) {
      this.#ts.fail(nameTok, `unknown function with name ${JSON.stringify(nameTok.text)}`);
    }
    this.#ts.next(); // "("
    const { args, end } = func.name === "info" ? this.#parseInfoArgs() : this.#parseArgs("function call");
    const pos = { start: nameTok.start, end };
    checkCall(func, args, pos, this.#ts.failAt);
    return { type: "Call", func, args, pos };
  }

  /**
   * The arguments of `info(v [, {data-label-selector}])`: the second is a label selector, which,
   * unlike a vector selector, may consist only of matchers that match the empty string.
   */
  #parseInfoArgs(): { args: Expr[]; end: number } {
    if (this.#ts.peek().kind === ")") return { args: [], end: this.#ts.next().end };
    const args: Expr[] = [this.#parseBinary(0)];
    let t = this.#ts.next();
    if (t.kind === "," && this.#ts.peek().kind !== ")") {
      const sel = this.#ts.peek();
      if (sel.kind !== "{")
        this.#ts.fail(sel, `unexpected ${describe(sel)} in call to info, expected label selector`);
      // Modifiers after it (upstream's printer writes `@` on it) parse, but do not matter.
      args.push(parsePostfix(this.#ts, parseSelector(this.#ts, undefined, true), this.experimental));
      t = this.#ts.next();
    }
    if (t.kind === ",") t = this.#ts.next();
    if (t.kind !== ")") this.#ts.fail(t, `unexpected ${describe(t)} in function call, expected "," or ")"`);
    return { args, end: t.end };
  }

  /** Arguments after an opening parenthesis, through the closing one; a trailing comma is allowed. */
  #parseArgs(context: string): { args: Expr[]; end: number } {
    const args: Expr[] = [];
    if (this.#ts.peek().kind === ")") return { args, end: this.#ts.next().end };
    for (;;) {
      args.push(this.#parseBinary(0));
      const t = this.#ts.next();
      if (t.kind === ")") return { args, end: t.end };
      if (t.kind !== ",") this.#ts.fail(t, `unexpected ${describe(t)} in ${context}, expected "," or ")"`);
      if (this.#ts.peek().kind === ")") return { args, end: this.#ts.next().end };
    }
  }

  #parseAggregation(): Expr {
    const opTok = this.#ts.next();
    const op = opTok.text.toLowerCase() as AggregateOp;
    if (EXPERIMENTAL_AGGREGATORS.has(op) && !this.experimental) {
      this.#ts.fail(opTok, `limitk() and limit_ratio() are experimental and must be enabled`);
    }
    let grouping: string[] = [];
    let without = false;
    let grouped = false;
    const readGrouping = (): void => {
      without = this.#ts.next().text.toLowerCase() === "without";
      grouping = parseLabelList(this.#ts, "grouping opts");
      grouped = true;
    };
    if (this.#ts.isWord(this.#ts.peek(), "by", "without")) readGrouping();
    this.#ts.expect("(", "aggregation");
    const { args, end: argsEnd } = this.#parseArgs("aggregation");
    let end = argsEnd;
    if (!grouped && this.#ts.isWord(this.#ts.peek(), "by", "without")) {
      readGrouping();
      end = this.#ts.prevEnd;
    }
    const pos = { start: opTok.start, end };
    if (args.length === 0) this.#ts.failAt(pos, "no arguments for aggregate expression provided");
    const want = PARAM_AGGREGATIONS.has(op) ? 2 : 1;
    if (args.length !== want) {
      this.#ts.failAt(
        pos,
        `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
      );
    }
    const param = want === 2 ? args[0] : undefined;
    const expr = args[want - 1]!;
    checkAggregate(op, expr, param, this.#ts.failAt);
    return { type: "AggregateExpr", op, expr, param, grouping, without, pos };
  }
}

function span(t: Token): PositionRange {
  return { start: t.start, end: t.end };
}
