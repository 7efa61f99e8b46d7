import type { AtModifier, Expr, SubqueryExpr, VectorSelector } from "./ast.js";
import { documentedType, typeOf } from "./ast.js";
import { parseDuration } from "./duration.js";
import {
  type DurationExpr,
  type ParsedDuration,
  parseBracketDuration,
  parseOffsetDuration,
} from "./duration-expr.js";
import { parseNumberLiteral } from "./float-text.js";
import type { Token } from "./lexer.js";
import { describe, type TokenStream } from "./token-stream.js";

/**
 * The postfix modifiers of PromQL, which bind tighter than any operator: range selectors
 * `[5m]`, subqueries `[30m:1m]`, `offset <duration>`, `@ <time>` / `@ start()` / `@ end()`, and
 * the experimental `anchored` / `smoothed`. Durations may be duration expressions
 * (`[5m+1m]`, `offset (step()*2)`, see duration-expr.ts) when experimental syntax is enabled.
 */

/** Applies every modifier that follows `e`; `experimental` admits duration expressions and `anchored`/`smoothed`. */
export function parsePostfix(ts: TokenStream, e: Expr, experimental = true): Expr {
  let cur = e;
  for (;;) {
    const t = ts.peek();
    if (t.kind === "[") cur = parseRange(ts, cur, experimental);
    else if (ts.isWord(t, "offset")) cur = parseOffset(ts, cur, experimental);
    else if (t.kind === "@") cur = parseAt(ts, cur);
    else if (ts.isWord(t, "anchored", "smoothed")) cur = parseExtended(ts, cur, experimental);
    else return cur;
  }
}

function parseRange(ts: TokenStream, e: Expr, experimental: boolean): Expr {
  ts.next(); // "["
  const range = positiveDuration(ts, "subquery or range selector", experimental);
  const t = ts.next();
  if (t.kind === "]") {
    const pos = { start: e.pos.start, end: t.end };
    if (e.type !== "VectorSelector") return ts.failAt(pos, "ranges only allowed for vector selectors");
    if (e.offsetMs !== 0 || e.offsetExpr !== undefined || e.at !== undefined)
      ts.failAt(pos, "no offset modifiers allowed before range");
    if (e.extended !== undefined) ts.failAt(pos, `no ${e.extended} modifier allowed before range`);
    return "ms" in range
      ? { type: "MatrixSelector", selector: e, rangeMs: range.ms, pos }
      : { type: "MatrixSelector", selector: e, rangeMs: 0, rangeExpr: range.expr, pos };
  }
  if (t.kind !== ":")
    ts.fail(t, `unexpected ${describe(t)} in subquery or range selector, expected "]" or ":"`);
  let step: ParsedDuration = { ms: 0 };
  if (ts.peek().kind !== "]") step = positiveDuration(ts, "subquery step", experimental);
  const close = ts.next();
  if (close.kind !== "]") ts.fail(close, `unexpected ${describe(close)} in subquery, expected "]"`);
  const pos = { start: e.pos.start, end: close.end };
  const t0 = typeOf(e);
  if (t0 !== "vector") {
    ts.failAt(pos, `subquery is only allowed on instant vector, got ${documentedType(t0)} instead`);
  }
  const sq: {
    type: "SubqueryExpr";
    expr: Expr;
    rangeMs: number;
    rangeExpr?: DurationExpr;
    stepMs: number;
    stepExpr?: DurationExpr;
    offsetMs: number;
    at: AtModifier | undefined;
    pos: { start: number; end: number };
  } = { type: "SubqueryExpr", expr: e, rangeMs: 0, stepMs: 0, offsetMs: 0, at: undefined, pos };
  if ("ms" in range) sq.rangeMs = range.ms;
  else sq.rangeExpr = range.expr;
  if ("ms" in step) sq.stepMs = step.ms;
  else sq.stepExpr = step.expr;
  return sq;
}

/**
 * A range or subquery step: a duration, a number of seconds or (experimental) a duration
 * expression. A literal must be positive; an expression is checked when the engine resolves it.
 */
function positiveDuration(ts: TokenStream, what: string, experimental: boolean): ParsedDuration {
  const first = ts.peek();
  if (!experimental) return { ms: durationArg(ts, what) };
  const d = parseBracketDuration(ts, what);
  if ("ms" in d && d.ms <= 0)
    ts.failAt({ start: first.start, end: ts.prevEnd }, "duration must be greater than 0");
  return d;
}

/** A duration inside brackets: a duration token or a number of seconds. */
function durationArg(ts: TokenStream, what: string): number {
  const t = ts.next();
  if (t.kind === "duration") return durationMs(ts, t);
  if (t.kind === "number") {
    const v = parseNumberLiteral(t.text);
    if (v === undefined || !Number.isFinite(v))
      ts.fail(t, `bad number or duration syntax: ${JSON.stringify(t.text)}`);
    return Math.round(v * 1000);
  }
  return ts.fail(t, `unexpected ${describe(t)} in ${what}, expected duration`);
}

/** A duration token's value in ms; fails on a malformed duration. */
export function durationMs(ts: TokenStream, t: Token): number {
  const r = parseDuration(t.text);
  if (!r.ok) ts.fail(t, r.error);
  return r.ms;
}

/** The node an `offset` or `@` after `e` applies to: a selector (inside a range selector) or a subquery. */
function modifierTarget(ts: TokenStream, e: Expr, tok: Token, what: string): VectorSelector | SubqueryExpr {
  if (e.type === "MatrixSelector") return e.selector;
  if (e.type === "VectorSelector" || e.type === "SubqueryExpr") return e;
  return ts.fail(
    tok,
    `${what} must be preceded by an instant vector selector or range vector selector or a subquery`,
  );
}

function parseOffset(ts: TokenStream, e: Expr, experimental: boolean): Expr {
  const kw = ts.next();
  let offset: ParsedDuration;
  if (experimental) {
    offset = parseOffsetDuration(ts);
  } else {
    let sign = 1;
    const s = ts.peek();
    if (s.kind === "-" || s.kind === "+") {
      ts.next();
      if (s.kind === "-") sign = -1;
    }
    offset = { ms: sign * durationArg(ts, "offset") };
  }
  const end = ts.prevEnd;
  const target = modifierTarget(ts, e, kw, "offset modifier");
  if (target.offsetMs !== 0 || target.offsetExpr !== undefined)
    ts.fail(kw, "offset may not be set multiple times");
  if ("ms" in offset) target.offsetMs = offset.ms;
  else target.offsetExpr = offset.expr;
  extend(e, end);
  return e;
}

/** `anchored` or `smoothed` after a vector or range selector (not a subquery). */
function parseExtended(ts: TokenStream, e: Expr, experimental: boolean): Expr {
  const kw = ts.next();
  const mode = kw.text.toLowerCase() === "anchored" ? "anchored" : "smoothed";
  if (!experimental) ts.fail(kw, `the ${mode} modifier is experimental and must be enabled`);
  const vs = e.type === "MatrixSelector" ? e.selector : e.type === "VectorSelector" ? e : undefined;
  if (!vs) {
    return ts.fail(
      kw,
      e.type === "SubqueryExpr"
        ? `${mode} modifier is not supported for subqueries`
        : `${mode} modifier must follow a vector or range selector`,
    );
  }
  if (vs.extended !== undefined && vs.extended !== mode)
    ts.fail(kw, "anchored and smoothed modifiers cannot be used together");
  vs.extended = mode;
  extend(e, kw.end);
  return e;
}

function parseAt(ts: TokenStream, e: Expr): Expr {
  const atTok = ts.next();
  let at: AtModifier;
  const t = ts.peek();
  if (ts.isWord(t, "start", "end") && ts.peek(1).kind === "(") {
    ts.next();
    ts.next();
    ts.expect(")", "@ modifier");
    at = t.text.toLowerCase() === "start" ? { kind: "start" } : { kind: "end" };
  } else {
    let sign = 1;
    if (t.kind === "-" || t.kind === "+") {
      ts.next();
      if (t.kind === "-") sign = -1;
    }
    const n = ts.next();
    let seconds: number | undefined;
    if (n.kind === "number") seconds = parseNumberLiteral(n.text);
    else if (n.kind === "duration") seconds = durationMs(ts, n) / 1000;
    else ts.fail(n, `unexpected ${describe(n)} in @, expected timestamp`);
    if (seconds === undefined || !Number.isFinite(seconds) || Math.abs(seconds) >= 9.2e15) {
      ts.fail(n, `timestamp out of bounds for @ modifier: ${n.text}`);
    }
    at = { kind: "time", ms: Math.round(sign * seconds * 1000) };
  }
  const target = modifierTarget(ts, e, atTok, "@ modifier");
  if (target.at !== undefined) ts.fail(atTok, "@ <timestamp> may not be set multiple times");
  target.at = at;
  extend(e, ts.prevEnd);
  return e;
}

/** Widens a modified node's position to the end of its last modifier. */
function extend(e: Expr, end: number): void {
  if (e.type === "VectorSelector" || e.type === "SubqueryExpr" || e.type === "MatrixSelector") {
    e.pos = { start: e.pos.start, end };
  }
}
