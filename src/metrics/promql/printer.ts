import { METRIC_NAME } from "../../model/labels.js";
import type { Matcher } from "../../model/matcher.js";
import type { AtModifier, Expr, VectorMatching, VectorSelector } from "./ast.js";
import { formatDuration } from "./duration.js";
import { type DurationExpr, formatDurationExpr } from "./duration-expr.js";
import { formatFloatF } from "./float-text.js";
import { quoteString } from "./string-literal.js";

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Prints an expression in Prometheus's canonical one-line form (what `/api/v1/format_query`
 * returns, without the multi-line prettifier): `foo/bar` → `foo / bar`, `sum(x) by (a)` →
 * `sum by (a) (x)`. Comments are dropped. The output parses back to the same tree.
 */
export function formatExpr(e: Expr): string {
  switch (e.type) {
    case "NumberLiteral":
      if (e.durationForm) return formatDuration(Math.round(e.value * 1000));
      return formatFloatF(e.value);
    case "StringLiteral":
      return quoteString(e.value);
    case "VectorSelector":
      return formatSelector(e) + formatAt(e.at) + formatExtended(e) + formatOffset(e.offsetMs, e.offsetExpr);
    case "MatrixSelector": {
      const sel = e.selector;
      const range = e.rangeExpr ? formatDurationExpr(e.rangeExpr) : formatDuration(e.rangeMs);
      return `${formatSelector(sel)}[${range}]${formatExtended(sel)}${formatAt(sel.at)}${formatOffset(sel.offsetMs, sel.offsetExpr)}`;
    }
    case "SubqueryExpr": {
      const range = e.rangeExpr ? formatDurationExpr(e.rangeExpr) : formatDuration(e.rangeMs);
      const step = e.stepExpr
        ? formatDurationExpr(e.stepExpr)
        : e.stepMs !== 0
          ? formatDuration(e.stepMs)
          : "";
      return `${formatExpr(e.expr)}[${range}:${step}]${formatAt(e.at)}${formatOffset(e.offsetMs, e.offsetExpr)}`;
    }
    case "Call":
      return `${e.func.name}(${e.args.map(formatExpr).join(", ")})`;
    case "AggregateExpr": {
      let s: string = e.op;
      if (e.without) s += ` without (${formatLabelList(e.grouping)}) `;
      else if (e.grouping.length > 0) s += ` by (${formatLabelList(e.grouping)}) `;
      s += "(";
      if (e.param) s += `${formatExpr(e.param)}, `;
      return `${s}${formatExpr(e.expr)})`;
    }
    case "BinaryExpr": {
      const bool = e.returnBool ? " bool" : "";
      return `${formatExpr(e.lhs)} ${e.op}${bool}${formatMatching(e.matching)} ${formatExpr(e.rhs)}`;
    }
    case "UnaryExpr":
      return e.op + formatExpr(e.expr);
    case "ParenExpr":
      return `(${formatExpr(e.expr)})`;
  }
}

/** A label name as PromQL writes it: bare when it is a classic name, quoted otherwise. */
export function formatLabelName(name: string): string {
  return LABEL_NAME.test(name) ? name : quoteString(name);
}

function formatLabelList(names: readonly string[]): string {
  return names.map(formatLabelName).join(", ");
}

function formatMatcher(m: Matcher): string {
  return `${formatLabelName(m.name)}${m.type}${quoteString(m.value)}`;
}

function formatSelector(vs: VectorSelector): string {
  const parts: string[] = [];
  let name = vs.name;
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME && m.type === "=" && m.value === vs.name && m.value !== "") continue;
    parts.push(formatMatcher(m));
  }
  parts.sort();
  if (name !== "" && !METRIC_NAME_RE.test(name)) {
    parts.unshift(quoteString(name));
    name = "";
  }
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

function formatAt(at: AtModifier | undefined): string {
  if (!at) return "";
  switch (at.kind) {
    case "start":
      return " @ start()";
    case "end":
      return " @ end()";
    case "time":
      return ` @ ${(at.ms / 1000).toFixed(3)}`;
  }
}

function formatExtended(vs: VectorSelector): string {
  return vs.extended ? ` ${vs.extended}` : "";
}

function formatOffset(ms: number, expr: DurationExpr | undefined): string {
  if (expr) return ` offset ${formatDurationExpr(expr)}`;
  if (ms > 0) return ` offset ${formatDuration(ms)}`;
  if (ms < 0) return ` offset -${formatDuration(-ms)}`;
  return "";
}

function formatMatching(m: VectorMatching | undefined): string {
  if (!m) return "";
  let s = "";
  const grouped = m.card === "many-to-one" || m.card === "one-to-many";
  if (m.labels.length > 0 || m.on || grouped)
    s += ` ${m.on ? "on" : "ignoring"} (${formatLabelList(m.labels)})`;
  if (grouped) s += ` group_${m.card === "many-to-one" ? "left" : "right"} (${formatLabelList(m.include)})`;
  const fill = m.fill;
  if (fill) {
    if (fill.lhs !== undefined && Object.is(fill.lhs, fill.rhs)) s += ` fill (${formatFloatF(fill.lhs)})`;
    else {
      if (fill.lhs !== undefined) s += ` fill_left (${formatFloatF(fill.lhs)})`;
      if (fill.rhs !== undefined) s += ` fill_right (${formatFloatF(fill.rhs)})`;
    }
  }
  return s;
}
