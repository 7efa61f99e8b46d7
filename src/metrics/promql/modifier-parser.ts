import type { AtModifier, Expr, SubqueryExpr, VectorSelector } from "./ast.js";
import { documentedType, typeOf } from "./ast.js";
import { parseDuration } from "./duration.js";
import { parseNumberLiteral } from "./float-text.js";
import type { Token } from "./lexer.js";
import { describe, type TokenStream } from "./token-stream.js";

/**
 * The postfix modifiers of PromQL, which bind tighter than any operator: range selectors
 * `[5m]`, subqueries `[30m:1m]`, `offset <duration>` and `@ <time>` / `@ start()` / `@ end()`.
 */

/** Applies every modifier that follows `e`. */
export function parsePostfix(ts: TokenStream, e: Expr): Expr {
  let cur = e;
  for (;;) {
    const t = ts.peek();
    if (t.kind === "[") cur = parseRange(ts, cur);
    else if (ts.isWord(t, "offset")) cur = parseOffset(ts, cur);
    else if (t.kind === "@") cur = parseAt(ts, cur);
    else return cur;
  }
}

function parseRange(ts: TokenStream, e: Expr): Expr {
  ts.next(); // "["
  const rangeMs = durationArg(ts, "range");
  const t = ts.next();
  if (t.kind === "]") {
    const pos = { start: e.pos.start, end: t.end };
    if (e.type !== "VectorSelector") return ts.failAt(pos, "ranges only allowed for vector selectors");
    if (e.offsetMs !== 0 || e.at !== undefined) ts.failAt(pos, "no offset modifiers allowed before range");
    return { type: "MatrixSelector", selector: e, rangeMs, pos };
  }
  if (t.kind !== ":")
    ts.fail(t, `unexpected ${describe(t)} in subquery or range selector, expected "]" or ":"`);
  let stepMs = 0;
  if (ts.peek().kind !== "]") stepMs = durationArg(ts, "subquery step");
  const close = ts.next();
  if (close.kind !== "]") ts.fail(close, `unexpected ${describe(close)} in subquery, expected "]"`);
  const pos = { start: e.pos.start, end: close.end };
  const t0 = typeOf(e);
  if (t0 !== "vector") {
    ts.failAt(pos, `subquery is only allowed on instant vector, got ${documentedType(t0)} instead`);
  }
  return { type: "SubqueryExpr", expr: e, rangeMs, stepMs, offsetMs: 0, at: undefined, pos };
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

function parseOffset(ts: TokenStream, e: Expr): Expr {
  const kw = ts.next();
  let sign = 1;
  const s = ts.peek();
  if (s.kind === "-" || s.kind === "+") {
    ts.next();
    if (s.kind === "-") sign = -1;
  }
  const ms = sign * durationArg(ts, "offset");
  const end = ts.prevEnd;
  const target = modifierTarget(ts, e, kw, "offset modifier");
  if (target.offsetMs !== 0) ts.fail(kw, "offset may not be set multiple times");
  target.offsetMs = ms;
  extend(e, end);
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
