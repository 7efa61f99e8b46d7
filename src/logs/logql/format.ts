import { formatDurationMs } from "../../lib/duration/duration.js";
import type {
  Expr,
  ExtractionParam,
  Grouping,
  LabelFilter,
  LabelMatcher,
  LabelSelection,
  LogQueryExpr,
  LogRange,
  MetricExpr,
  Stage,
} from "./ast.js";
import { binaryPrecedence } from "./parser.js";

/**
 * Prints an expression in Mirador's canonical LogQL form (what `/loki/api/v1/format_query` answers):
 * single spaces, double-quoted strings, the pipeline before the range, grouping before the
 * parenthesised argument, parentheses only where precedence needs them.
 * `parseLogQL(formatLogQL(e))` equals `e` for every `e` the parser can produce (one AST it cannot:
 * a `drop`/`keep` ending in a bare name right before a `!=`/`!~` line filter, which reads back as a
 * matcher, as in Loki's grammar).
 */
export function formatLogQL(e: Expr): string {
  return e.kind === "log" ? formatLog(e) : formatMetric(e);
}

function formatLog(e: LogQueryExpr): string {
  const selector = `{${e.matchers.map(formatMatcher).join(", ")}}`;
  return selector + e.pipeline.map((s) => ` ${formatStage(s)}`).join("");
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function formatNumber(n: number): string {
  return Object.is(n, -0) ? "-0" : String(n);
}

function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${quote(m.value)}`;
}

function formatParams(params: readonly ExtractionParam[]): string {
  if (params.length === 0) return "";
  const items = params.map((p) =>
    p.expression === undefined ? p.label : `${p.label}=${quote(p.expression)}`,
  );
  return ` ${items.join(", ")}`;
}

function formatSelections(labels: readonly LabelSelection[]): string {
  return labels.map((l) => ("name" in l ? l.name : formatMatcher(l.matcher))).join(", ");
}

function formatStage(s: Stage): string {
  switch (s.kind) {
    case "lineFilter":
      return `${s.op} ${s.values.map((v) => (v.ip ? `ip(${quote(v.value)})` : quote(v.value))).join(" or ")}`;
    case "json":
      return `| json${formatParams(s.params)}`;
    case "logfmt":
      return `| logfmt${s.strict ? " --strict" : ""}${s.keepEmpty ? " --keep-empty" : ""}${formatParams(s.params)}`;
    case "regexp":
      return `| regexp ${quote(s.regexp)}`;
    case "pattern":
      return `| pattern ${quote(s.pattern)}`;
    case "unpack":
      return "| unpack";
    case "decolorize":
      return "| decolorize";
    case "labelFilter":
      return `| ${formatLabelFilter(s.filter)}`;
    case "lineFormat":
      return `| line_format ${quote(s.template)}`;
    case "labelFormat":
      return `| label_format ${s.ops.map((o) => `${o.dst}=${o.template ? quote(o.value) : o.value}`).join(", ")}`;
    case "drop":
      return `| drop ${formatSelections(s.labels)}`;
    case "keep":
      return `| keep ${formatSelections(s.labels)}`;
  }
}

/** `or` is 1, `and` 2, leaves 3; a right operand of the same level keeps its parentheses. */
function filterLevel(f: LabelFilter): number {
  return f.kind === "or" ? 1 : f.kind === "and" ? 2 : 3;
}

function formatLabelFilter(f: LabelFilter): string {
  switch (f.kind) {
    case "matcher":
      return formatMatcher(f.matcher);
    case "ip":
      return `${f.name}${f.op}ip(${quote(f.value)})`;
    case "number":
      return `${f.name} ${f.op} ${formatNumber(f.value)}`;
    case "duration":
    case "bytes":
      return `${f.name} ${f.op} ${f.text}`;
    case "and":
    case "or": {
      const level = filterLevel(f);
      const left = filterLevel(f.left) < level ? `(${formatLabelFilter(f.left)})` : formatLabelFilter(f.left);
      const right =
        filterLevel(f.right) <= level ? `(${formatLabelFilter(f.right)})` : formatLabelFilter(f.right);
      return `${left} ${f.kind} ${right}`;
    }
  }
}

function formatGrouping(g: Grouping): string {
  return `${g.without ? "without" : "by"} (${g.labels.join(", ")})`;
}

function formatLogRange(r: LogRange): string {
  let out = formatLog(r.log);
  if (r.unwrap !== undefined) {
    const u = r.unwrap;
    out += ` | unwrap ${u.conversion === undefined ? u.label : `${u.conversion}(${u.label})`}`;
    out += u.filters.map((f) => ` | ${formatLabelFilter(f)}`).join("");
  }
  out += ` [${formatDurationMs(r.rangeMs)}]`;
  if (r.offsetMs !== undefined) out += ` offset ${formatDurationMs(r.offsetMs)}`;
  return out;
}

/** Precedence of a metric expression as an operand: binary operators by level, the rest atomic. */
function metricLevel(e: MetricExpr): number {
  return e.kind === "binary" ? binaryPrecedence(e.op) : 10;
}

function formatMetric(e: MetricExpr): string {
  switch (e.kind) {
    case "number":
      return formatNumber(e.value);
    case "vector":
      return `vector(${formatNumber(e.value)})`;
    case "labelReplace":
      return `label_replace(${formatMetric(e.expr)}, ${[e.dst, e.replacement, e.src, e.regex].map(quote).join(", ")})`;
    case "rangeAggregation": {
      const param = e.param === undefined ? "" : `${formatNumber(e.param)}, `;
      const grouping = e.grouping === undefined ? "" : ` ${formatGrouping(e.grouping)}`;
      return `${e.op}(${param}${formatLogRange(e.range)})${grouping}`;
    }
    case "vectorAggregation": {
      const grouping = e.grouping === undefined ? "" : ` ${formatGrouping(e.grouping)}`;
      const param = e.param === undefined ? "" : `${formatNumber(e.param)}, `;
      return `${e.op}${grouping} (${param}${formatMetric(e.expr)})`;
    }
    case "binary": {
      const level = binaryPrecedence(e.op);
      const rightAssoc = e.op === "^";
      const lhsLevel = metricLevel(e.lhs);
      const rhsLevel = metricLevel(e.rhs);
      const lhsParens = lhsLevel < level || (rightAssoc && lhsLevel === level);
      const rhsParens = rhsLevel < level || (!rightAssoc && rhsLevel === level);
      const lhs = lhsParens ? `(${formatMetric(e.lhs)})` : formatMetric(e.lhs);
      const rhs = rhsParens ? `(${formatMetric(e.rhs)})` : formatMetric(e.rhs);
      let op = e.op as string;
      if (e.returnBool) op += " bool";
      if (e.matching !== undefined) {
        const m = e.matching;
        op += ` ${m.on ? "on" : "ignoring"} (${m.labels.join(", ")})`;
        if (m.group !== undefined) op += ` group_${m.group.side} (${m.group.include.join(", ")})`;
      }
      return `${lhs} ${op} ${rhs}`;
    }
  }
}
