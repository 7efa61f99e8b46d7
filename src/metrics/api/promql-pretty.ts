import { type Expr, formatExpr } from "../promql/index.js";

/** Longest expression the prettifier leaves on one line, in bytes (Prometheus's `maxCharactersPerLine`). */
export const MAX_LINE_BYTES = 100;
const INDENT = "  ";

/**
 * Prometheus's prettifier (`parser.Prettify`, what `/api/v1/format_query` returns): an expression
 * whose one-line form ({@link formatExpr}) fits in 100 bytes stays on one line; a longer one is split
 * — aggregations and calls put their arguments on their own lines, binary operations put the
 * operator on a line between its operands, parentheses their content — each level indented by two
 * spaces. Quirks kept on purpose, for identical output: a subquery short enough is not indented,
 * and a unary operator sticks to its operand's first line. `maxLineBytes` is for tests.
 */
export function prettyExpr(e: Expr, maxLineBytes = MAX_LINE_BYTES): string {
  return pretty(e, 0, maxLineBytes);
}

function pretty(e: Expr, level: number, max: number): string {
  const flat = formatExpr(e);
  const indent = INDENT.repeat(level);
  const split = Buffer.byteLength(flat, "utf8") > max;
  switch (e.type) {
    case "AggregateExpr": {
      if (!split) return indent + flat;
      const inner = (e.param ? `${formatExpr(e.param)}, ` : "") + formatExpr(e.expr);
      // The one-line form is `<op and grouping>(<inner>)`.
      const head = flat.slice(0, flat.length - inner.length - 2);
      let out = `${indent}${head}(\n`;
      if (e.param) out += `${pretty(e.param, level + 1, max)},\n`;
      return `${out}${pretty(e.expr, level + 1, max)}\n${indent})`;
    }
    case "BinaryExpr": {
      if (!split) return indent + flat;
      // The one-line form is `<lhs> <op, bool and matching> <rhs>`.
      const op = flat.slice(formatExpr(e.lhs).length + 1, flat.length - formatExpr(e.rhs).length - 1);
      return `${pretty(e.lhs, level + 1, max)}\n${indent}${op}\n${pretty(e.rhs, level + 1, max)}`;
    }
    case "Call": {
      if (!split) return indent + flat;
      const args = e.args.map((a) => pretty(a, level + 1, max)).join(",\n");
      return `${indent}${e.func.name}(\n${args}\n${indent})`;
    }
    case "ParenExpr":
      if (!split) return indent + flat;
      return `${indent}(\n${pretty(e.expr, level + 1, max)}\n${indent})`;
    case "SubqueryExpr":
      if (!split) return flat;
      // The one-line form is `<expr>[range:step]` plus `@` and `offset`.
      return pretty(e.expr, level, max) + flat.slice(formatExpr(e.expr).length);
    case "UnaryExpr":
      return `${indent}${e.op}${pretty(e.expr, level, max).trim()}`;
    case "VectorSelector":
    case "MatrixSelector":
    case "NumberLiteral":
    case "StringLiteral":
      return indent + flat;
  }
}
