import type { Labels } from "../../model/labels.js";
import type { BinaryExpr, BinaryOp, VectorMatching } from "../logql/index.js";
import { LogQLEvalError } from "./errors.js";
import { type StepSeries, type StepValue, setPoint } from "./step-vector.js";

/**
 * Applies `op` to two numbers by LogQL's rules: as PromQL, except that a division or modulo by zero
 * gives NaN. Comparisons give 1 or 0.
 */
export function arithmetic(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? Number.NaN : a / b;
    case "%":
      return b === 0 ? Number.NaN : a % b;
    case "^":
      return a ** b;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
    case ">":
      return a > b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "<":
      return a < b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    default:
      throw new Error(`invariant: ${op} is a set operator`);
  }
}

const COMPARISON = new Set<BinaryOp>(["==", "!=", ">", ">=", "<", "<="]);

/** Evaluates a binary expression over all `n` steps, given both operands. */
export function evaluateBinary(expr: BinaryExpr, lhs: StepValue, rhs: StepValue, n: number): StepValue {
  const op = expr.op;
  const cmp = COMPARISON.has(op);
  if (lhs.kind === "scalar" && rhs.kind === "scalar") {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = arithmetic(op, lhs.values[i]!, rhs.values[i]!);
    return { kind: "scalar", values };
  }
  if (lhs.kind === "scalar" || rhs.kind === "scalar") {
    const vecLeft = lhs.kind === "vector";
    const vec = (vecLeft ? lhs : rhs) as Extract<StepValue, { kind: "vector" }>;
    const sc = (vecLeft ? rhs : lhs) as Extract<StepValue, { kind: "scalar" }>;
    const out = new Map<string, StepSeries>();
    for (const s of vec.series.values()) {
      for (let i = 0; i < n; i++) {
        if (s.present[i] !== 1) continue;
        const a = vecLeft ? s.values[i]! : sc.values[i]!;
        const b = vecLeft ? sc.values[i]! : s.values[i]!;
        const v = arithmetic(op, a, b);
        if (cmp && !expr.returnBool) {
          if (v === 1) setPoint(out, s.labels, n, i, s.values[i]!);
        } else setPoint(out, s.labels, n, i, v);
      }
    }
    return { kind: "vector", series: out };
  }
  if (op === "and" || op === "or" || op === "unless") return setOperation(op, expr.matching, lhs, rhs, n);
  return vectorMatch(expr, lhs.series, rhs.series, n);
}

/** The matching signature of `l` under `m` (default: all labels). */
function signature(l: Labels, m: VectorMatching | undefined): string {
  if (m === undefined) return l.key();
  const set = new Set(m.labels);
  return (m.on ? l.keep(set) : l.without(set)).key();
}

function setOperation(
  op: "and" | "or" | "unless",
  m: VectorMatching | undefined,
  lhs: Extract<StepValue, { kind: "vector" }>,
  rhs: Extract<StepValue, { kind: "vector" }>,
  n: number,
): StepValue {
  const out = new Map<string, StepSeries>();
  for (let i = 0; i < n; i++) {
    const rightSigs = new Set<string>();
    for (const s of rhs.series.values()) if (s.present[i] === 1) rightSigs.add(signature(s.labels, m));
    const leftSigs = new Set<string>();
    for (const s of lhs.series.values()) {
      if (s.present[i] !== 1) continue;
      const sig = signature(s.labels, m);
      leftSigs.add(sig);
      const keep = op === "or" || (op === "and" ? rightSigs.has(sig) : !rightSigs.has(sig));
      if (keep) setPoint(out, s.labels, n, i, s.values[i]!);
    }
    if (op === "or")
      for (const s of rhs.series.values())
        if (s.present[i] === 1 && !leftSigs.has(signature(s.labels, m)))
          setPoint(out, s.labels, n, i, s.values[i]!);
  }
  return { kind: "vector", series: out };
}

/** One-to-one or many-to-one/one-to-many (`group_left`/`group_right`) matching, as PromQL. */
function vectorMatch(
  expr: BinaryExpr,
  lhs: Map<string, StepSeries>,
  rhs: Map<string, StepSeries>,
  n: number,
): StepValue {
  const m = expr.matching;
  const group = m?.group;
  const swap = group?.side === "right";
  // `many` is the side that may hold several series per signature; `one` must hold at most one.
  const many = [...(swap ? rhs : lhs).values()];
  const one = [...(swap ? lhs : rhs).values()];
  const cmp = COMPARISON.has(expr.op);
  const out = new Map<string, StepSeries>();
  for (let i = 0; i < n; i++) {
    const bySig = new Map<string, StepSeries>();
    for (const s of one) {
      if (s.present[i] !== 1) continue;
      const sig = signature(s.labels, m);
      if (bySig.has(sig))
        throw new LogQLEvalError(
          "matching_error",
          `found duplicate series for the match group ${sig.replaceAll("\xff", ",")} on the ${swap ? "left" : "right"} hand-side of the operation; many-to-many matching is not allowed, use group_left/group_right or on/ignoring`,
        );
      bySig.set(sig, s);
    }
    const used = new Set<string>();
    for (const s of many) {
      if (s.present[i] !== 1) continue;
      const sig = signature(s.labels, m);
      const o = bySig.get(sig);
      if (o === undefined) continue;
      const l = swap ? o : s;
      const r = swap ? s : o;
      const v = arithmetic(expr.op, l.values[i]!, r.values[i]!);
      if (cmp && !expr.returnBool && v !== 1) continue;
      const value = cmp && !expr.returnBool ? l.values[i]! : v;
      const labels = resultLabels(s.labels, o.labels, m);
      const key = labels.key();
      if (group === undefined) {
        if (used.has(key))
          throw new LogQLEvalError(
            "matching_error",
            `multiple matches for labels ${labels.toString()}: many-to-one matching must be explicit (group_left/group_right)`,
          );
        used.add(key);
      }
      setPoint(out, labels, n, i, value);
    }
  }
  return { kind: "vector", series: out };
}

/** The labels of a match: `many`'s labels, reduced by `on`/`ignoring` when one-to-one, plus `group_x` labels of `one`. */
function resultLabels(many: Labels, one: Labels, m: VectorMatching | undefined): Labels {
  if (m === undefined) return many;
  if (m.group === undefined) {
    const set = new Set(m.labels);
    return m.on ? many.keep(set) : many.without(set);
  }
  let l = many;
  for (const name of m.group.include) {
    const v = one.get(name);
    l = v === "" ? l.without(new Set([name])) : l.with(name, v);
  }
  return l;
}
