import { formatDuration, parseDuration } from "./duration.js";
import { BadQueryError } from "./errors.js";
import { formatFloatF, parseNumberLiteral } from "./float-text.js";
import type { Token } from "./lexer.js";
import { describe, type TokenStream } from "./token-stream.js";

/**
 * Duration expressions (Prometheus's experimental `promql-duration-expr`): arithmetic where a
 * duration is expected — in `[range]`, `[range:step]` and after `offset` — over number literals
 * (seconds), duration literals, `step()`, `range()`, `min_of(a, b)` and `max_of(a, b)`. The parser
 * keeps the expression; the engine resolves it per query, when `step()` and `range()` are known.
 */

/** Binary operators of a duration expression, from loosest to tightest: `+ -`, `* / %`, `^`. */
export type DurationOp = "+" | "-" | "*" | "/" | "%" | "^";

/** A duration expression tree. Values are seconds until {@link durationExprMs} converts them. */
export type DurationExpr =
  | { readonly kind: "number"; readonly seconds: number; readonly durationForm: boolean }
  | { readonly kind: "step" }
  | { readonly kind: "range" }
  | { readonly kind: "min_of" | "max_of"; readonly lhs: DurationExpr; readonly rhs: DurationExpr }
  | { readonly kind: "unary"; readonly op: "-" | "+"; readonly expr: DurationExpr }
  | {
      readonly kind: "binary";
      readonly op: DurationOp;
      readonly lhs: DurationExpr;
      readonly rhs: DurationExpr;
    }
  | { readonly kind: "paren"; readonly expr: DurationExpr };

/** What `step()` and `range()` stand for in one query: its step and its end minus its start, ms. */
export interface DurationContext {
  /** The query's step, ms; 0 for an instant query. */
  readonly stepMs: number;
  /** `end - start`, ms; 0 for an instant query. */
  readonly rangeMs: number;
}

const PRECEDENCE: Readonly<Record<DurationOp, number>> = { "+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "^": 3 };

function binaryOp(t: Token): DurationOp | undefined {
  return t.kind === "+" ||
    t.kind === "-" ||
    t.kind === "*" ||
    t.kind === "/" ||
    t.kind === "%" ||
    t.kind === "^"
    ? t.kind
    : undefined;
}

/** A parsed duration: a plain literal (ms) or an expression to resolve per query. */
export type ParsedDuration = { readonly ms: number } | { readonly expr: DurationExpr };

/**
 * Parses the full duration grammar, as inside brackets: `5m`, `1800`, `2m*(10+5)`, `-5m+35m`,
 * `step()+1`, `max_of(min_of(step()+1, 1h), 1ms)`. A lone (signed) literal comes back as ms.
 */
export function parseBracketDuration(ts: TokenStream, what: string): ParsedDuration {
  return simplify(ts, parseExpr(ts, 0, what));
}

/**
 * Parses what may follow `offset`: a signed literal, `step()`, `range()`, `min_of(…)`,
 * `max_of(…)` or a parenthesised expression. Arithmetic without parentheses belongs to the
 * enclosing expression: `foo offset 1m + 1m` is `(foo offset 1m) + 1m`, as in Prometheus.
 */
export function parseOffsetDuration(ts: TokenStream): ParsedDuration {
  const t = ts.peek();
  if (t.kind === "-" || t.kind === "+") {
    ts.next();
    const operand = parseAtom(ts, "offset");
    if (operand.kind === "number")
      return simplify(ts, {
        kind: "number",
        seconds: t.kind === "-" ? -operand.seconds : operand.seconds,
        durationForm: operand.durationForm,
      });
    return simplify(ts, t.kind === "-" ? { kind: "unary", op: "-", expr: operand } : operand);
  }
  return simplify(ts, parseAtom(ts, "offset"));
}

function simplify(_ts: TokenStream, e: DurationExpr): ParsedDuration {
  // Prometheus rounds a literal to whole nanoseconds, then truncates to ms; rounding to whole
  // microseconds gives the same ms without losing precision for long durations.
  if (e.kind === "number") return { ms: Math.trunc(Math.round(e.seconds * 1e6) / 1e3) };
  return { expr: e };
}

function parseExpr(ts: TokenStream, minPrec: number, what: string): DurationExpr {
  let lhs = parseUnary(ts, what);
  for (;;) {
    const opTok = ts.peek();
    const op = binaryOp(opTok);
    if (op === undefined) return lhs;
    const prec = PRECEDENCE[op];
    if (prec < minPrec) return lhs;
    ts.next();
    const rhs = parseExpr(ts, op === "^" ? prec : prec + 1, what);
    if ((op === "/" || op === "%") && rhs.kind === "number" && rhs.seconds === 0) {
      ts.fail(opTok, op === "/" ? "division by zero" : "modulo by zero");
    }
    lhs = { kind: "binary", op, lhs, rhs };
  }
}

function parseUnary(ts: TokenStream, what: string): DurationExpr {
  const t = ts.peek();
  if (t.kind !== "-" && t.kind !== "+") return parseAtom(ts, what);
  ts.next();
  // A unary sign binds like `*`: only `^` binds tighter (`-2^2` is -(2^2), `-5m+35m` is (-5m)+35m).
  const operand = parseExpr(ts, PRECEDENCE["^"], what);
  if (operand.kind === "number") {
    return {
      kind: "number",
      seconds: t.kind === "-" ? -operand.seconds : operand.seconds,
      durationForm: operand.durationForm,
    };
  }
  return t.kind === "-" ? { kind: "unary", op: "-", expr: operand } : operand;
}

function parseAtom(ts: TokenStream, what: string): DurationExpr {
  const t = ts.next();
  if (t.kind === "number") {
    const v = parseNumberLiteral(t.text);
    if (v === undefined || !Number.isFinite(v))
      ts.fail(t, `bad number or duration syntax: ${JSON.stringify(t.text)}`);
    return { kind: "number", seconds: v, durationForm: false };
  }
  if (t.kind === "duration") {
    const r = parseDuration(t.text);
    if (!r.ok) ts.fail(t, r.error);
    return { kind: "number", seconds: r.ms / 1000, durationForm: true };
  }
  if (t.kind === "(") {
    const inner = parseExpr(ts, 0, what);
    const close = ts.next();
    if (close.kind !== ")") ts.fail(close, `unexpected ${describe(close)} in ${what}, expected ")"`);
    return { kind: "paren", expr: inner };
  }
  if (t.kind === "identifier" && ts.peek().kind === "(") {
    const name = t.text.toLowerCase();
    if (name === "step" || name === "range") {
      ts.next();
      ts.expect(")", `${name}()`);
      return { kind: name };
    }
    if (name === "min_of" || name === "max_of") {
      ts.next();
      const lhs = parseExpr(ts, 0, what);
      ts.expect(",", name);
      const rhs = parseExpr(ts, 0, what);
      ts.expect(")", name);
      return { kind: name, lhs, rhs };
    }
  }
  return ts.fail(t, `unexpected ${describe(t)} in ${what}, expected number, duration, step(), or range()`);
}

/** Evaluates a duration expression to seconds. Throws {@link BadQueryError} on division by zero. */
export function evalDurationExpr(e: DurationExpr, ctx: DurationContext): number {
  switch (e.kind) {
    case "number":
      return e.seconds;
    case "step":
      return ctx.stepMs / 1000;
    case "range":
      return ctx.rangeMs / 1000;
    case "min_of":
      return Math.min(evalDurationExpr(e.lhs, ctx), evalDurationExpr(e.rhs, ctx));
    case "max_of":
      return Math.max(evalDurationExpr(e.lhs, ctx), evalDurationExpr(e.rhs, ctx));
    case "paren":
      return evalDurationExpr(e.expr, ctx);
    case "unary":
      return e.op === "-" ? -evalDurationExpr(e.expr, ctx) : evalDurationExpr(e.expr, ctx);
    case "binary": {
      const l = evalDurationExpr(e.lhs, ctx);
      const r = evalDurationExpr(e.rhs, ctx);
      switch (e.op) {
        case "+":
          return l + r;
        case "-":
          return l - r;
        case "*":
          return l * r;
        case "/":
          if (r === 0) throw new BadQueryError("division by zero");
          return l / r;
        case "%":
          if (r === 0) throw new BadQueryError("modulo by zero");
          return l % r;
        case "^":
          return l ** r;
      }
    }
  }
}

/**
 * The value of `e` in whole ms (truncated toward zero, as Prometheus converts). Ranges and steps
 * must be positive; offsets may be negative. Throws {@link BadQueryError} otherwise.
 */
export function durationExprMs(e: DurationExpr, ctx: DurationContext, allowNegative: boolean): number {
  const seconds = evalDurationExpr(e, ctx);
  if (!Number.isFinite(seconds) || Math.abs(seconds) > 9.2e9)
    throw new BadQueryError("duration is out of range");
  if (seconds <= 0 && !allowNegative) throw new BadQueryError("duration must be greater than 0");
  return Math.trunc(seconds * 1000) + 0; // + 0 turns -0 into 0
}

/** Prints a duration expression as Prometheus does: `5m + 1m`, `(step() * 2)`, `min_of(step(), 1s)`. */
export function formatDurationExpr(e: DurationExpr): string {
  switch (e.kind) {
    case "number":
      if (!e.durationForm) return formatFloatF(e.seconds);
      return e.seconds < 0 ? `-${formatDuration(-e.seconds * 1000)}` : formatDuration(e.seconds * 1000);
    case "step":
    case "range":
      return `${e.kind}()`;
    case "min_of":
    case "max_of":
      return `${e.kind}(${formatDurationExpr(e.lhs)}, ${formatDurationExpr(e.rhs)})`;
    case "paren":
      return `(${formatDurationExpr(e.expr)})`;
    case "unary":
      return e.op === "-" ? `-${formatDurationExpr(e.expr)}` : formatDurationExpr(e.expr);
    case "binary":
      return `${formatDurationExpr(e.lhs)} ${e.op} ${formatDurationExpr(e.rhs)}`;
  }
}
