import { Labels, METRIC_NAME } from "../../model/labels.js";
import { Matcher } from "../../model/matcher.js";
import { isStaleNaN } from "../../model/stale.js";
import type { Call, Expr, VectorSelector } from "./ast.js";
import { walk } from "./ast.js";
import { ExecutionError } from "./errors.js";
import type { EvalHost } from "./eval-host.js";
import { type RawSeries, resolveAt, type SelectorRange } from "./selector-data.js";
import { SeriesAccumulator, type VectorValue } from "./value.js";

/**
 * The experimental `info(v [, {data-label-selector}])` function: enriches each series of `v` with
 * the data labels of "info" series (by default `target_info`) that share its identifying labels
 * (`instance` and `job`, the ones it has). The selector's `__name__` matchers choose the info
 * metrics (only negative ones: among `*_info` metrics); its other matchers select info series and
 * restrict which data labels are copied. A series matching no info series is kept as it is,
 * unless a data matcher rejects the empty string. Labels the series already has are never
 * overwritten; two info metrics giving one label different values is an error; of two info series
 * with one signature, the one with the newer sample wins.
 *
 * Info series are read at the time the first selector of `v` reads its samples (its `@` and
 * `offset`, and those of the subqueries around it, apply), with the usual lookback.
 */

const TARGET_INFO = "target_info";
const IDENTIFYING_LABELS: readonly string[] = ["instance", "job"];

/** The `__name__` matchers that select info metrics (Prometheus's `effectiveInfoNameMatchers`). */
function effectiveNameMatchers(nameMatchers: readonly Matcher[]): Matcher[] {
  if (nameMatchers.some((m) => m.type === "=" || m.type === "=~")) return [...nameMatchers];
  if (nameMatchers.length > 0) return [new Matcher("=~", METRIC_NAME, ".+_info"), ...nameMatchers];
  return [new Matcher("=", METRIC_NAME, TARGET_INFO)];
}

function labelSelector(call: Call): VectorSelector | undefined {
  const sel = call.args[1];
  if (sel === undefined) return undefined;
  if (sel.type !== "VectorSelector")
    throw new ExecutionError("info: the second argument must be a label selector");
  return sel;
}

function nameMatchersOf(call: Call): Matcher[] {
  return (labelSelector(call)?.matchers ?? []).filter((m) => m.name === METRIC_NAME);
}

function dataMatchersOf(call: Call): Matcher[] {
  return (labelSelector(call)?.matchers ?? []).filter((m) => m.name !== METRIC_NAME);
}

/** The first vector selector of `e` (depth first, arguments in order) and the nodes above it. */
function firstSelectorPath(e: Expr): Expr[] | undefined {
  const path: Expr[] = [];
  const visit = (n: Expr): boolean => {
    path.push(n);
    if (n.type === "VectorSelector") return true;
    const children: Expr[] =
      n.type === "MatrixSelector"
        ? [n.selector]
        : n.type === "SubqueryExpr" || n.type === "UnaryExpr" || n.type === "ParenExpr"
          ? [n.expr]
          : n.type === "Call"
            ? [...n.args]
            : n.type === "AggregateExpr"
              ? n.param
                ? [n.param, n.expr]
                : [n.expr]
              : n.type === "BinaryExpr"
                ? [n.lhs, n.rhs]
                : [];
    for (const c of children) if (visit(c)) return true;
    path.pop();
    return false;
  };
  return visit(e) ? path : undefined;
}

/**
 * Plans the storage reads of every `info()` call in `expr`: a selector for its candidate info
 * series, over the range its first argument's first selector reads, widened by the lookback
 * delta. The label selector argument itself is not read. Returns the selector of each call.
 */
export function planInfoSelectors(
  expr: Expr,
  ranges: Map<VectorSelector, SelectorRange>,
  lookbackMs: number,
): Map<Call, VectorSelector> {
  const out = new Map<Call, VectorSelector>();
  walk(expr, (node) => {
    if (node.type !== "Call" || node.func.name !== "info") return;
    const sel = node.args[1];
    if (sel?.type === "VectorSelector") ranges.delete(sel);
    const path = firstSelectorPath(node.args[0]!);
    const first = path?.[path.length - 1];
    const firstRange = first?.type === "VectorSelector" ? ranges.get(first) : undefined;
    if (!firstRange) return;
    const matchers = [...effectiveNameMatchers(nameMatchersOf(node)), ...dataMatchersOf(node)];
    const infoSelector: VectorSelector = {
      type: "VectorSelector",
      name: "",
      matchers,
      offsetMs: 0,
      at: undefined,
      pos: node.pos,
    };
    ranges.set(infoSelector, {
      mint: firstRange.mint - lookbackMs,
      maxt: firstRange.maxt,
      step: firstRange.step,
      func: "info",
    });
    out.set(node, infoSelector);
  });
  return out;
}

/** Maps an evaluation time to the time the first selector of `e` reads at. */
function referenceTime(e: Expr, queryStart: number, queryEnd: number): (t: number) => number {
  const path = firstSelectorPath(e) ?? [];
  return (t) => {
    let time = t;
    for (const n of path) {
      if (n.type !== "SubqueryExpr" && n.type !== "VectorSelector") continue;
      if (n.at) time = resolveAt(n.at, queryStart, queryEnd);
      time -= n.offsetMs;
    }
    return time;
  };
}

/** The time of the latest sample of `s` in `(ref - lookback, ref]`; undefined when none or a stale marker. */
function latestSampleTime(s: RawSeries, ref: number, lookbackMs: number): number | undefined {
  let lo = 0;
  let hi = s.ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.ts[mid]! <= ref) lo = mid + 1;
    else hi = mid;
  }
  const k = lo - 1;
  if (k < 0 || s.ts[k]! <= ref - lookbackMs || isStaleNaN(s.vs[k]!)) return undefined;
  return s.ts[k]!;
}

/** The join signature: the info metric's name and whichever identifying labels `labels` has. */
function signature(infoName: string, labels: Labels): string {
  let sig = infoName;
  for (const l of IDENTIFYING_LABELS) sig += `\xff${l}\xff${labels.get(l)}`;
  return sig;
}

/** Evaluates `info(v [, selector])` over the grid. */
export function evalInfo(host: EvalHost, call: Call): VectorValue {
  const { options, grid } = host;
  const base = host.evalVector(call.args[0]!).series;
  const nameMatchers = effectiveNameMatchers(nameMatchersOf(call));
  const dataMatchers = new Map<string, Matcher[]>();
  for (const m of dataMatchersOf(call)) dataMatchers.set(m.name, [...(dataMatchers.get(m.name) ?? []), m]);
  const dropsUnmatched = [...dataMatchers.values()].some((ms) => ms.some((m) => !m.matches("")));

  const ignored = base.map((s) => nameMatchers.every((m) => m.matches(s.labels.get(METRIC_NAME))));
  const idValues = new Map<string, Set<string>>();
  base.forEach((s, i) => {
    if (ignored[i]) return;
    for (const l of IDENTIFYING_LABELS) {
      const v = s.labels.get(l);
      if (v === "") continue;
      let set = idValues.get(l);
      if (!set) {
        set = new Set();
        idValues.set(l, set);
      }
      set.add(v);
    }
  });
  const infoSelector = options.infoSelectors?.get(call);
  const infos =
    idValues.size === 0 || !infoSelector
      ? []
      : (options.data.get(infoSelector) ?? []).filter((s) =>
          [...idValues].every(([l, values]) => values.has(s.labels.get(l))),
        );
  const infoNames = [...new Set(infos.map((s) => s.labels.get(METRIC_NAME)))];
  const baseSigs = base.map((s) => infoNames.map((name) => signature(name, s.labels)));
  const infoSigs = infos.map((s) => signature(s.labels.get(METRIC_NAME), s.labels));
  const ref = referenceTime(call.args[0]!, options.queryStart, options.queryEnd);

  const acc = new SeriesAccumulator();
  const bySig = new Map<string, { labels: Labels; t: number }>();
  const cursor = new Uint32Array(base.length);
  for (let step = 0; step < grid.n; step++) {
    options.limits.check();
    const t = grid.start + step * grid.step;
    bySig.clear();
    const infoTime = ref(t);
    infos.forEach((s, i) => {
      const origT = latestSampleTime(s, infoTime, options.lookbackMs);
      if (origT === undefined) return;
      const sig = infoSigs[i]!;
      const existing = bySig.get(sig);
      if (existing && existing.t === origT) {
        throw new ExecutionError(
          `found duplicate series for info metric: existing ${existing.labels.toString()} @ ${existing.t}, new ${s.labels.toString()} @ ${origT}`,
        );
      }
      if (!existing || existing.t < origT) bySig.set(sig, { labels: s.labels, t: origT });
    });
    base.forEach((s, b) => {
      let p = cursor[b]!;
      while (p < s.ts.length && s.ts[p]! < t) p++;
      cursor[b] = p;
      if (p >= s.ts.length || s.ts[p] !== t) return;
      const v = s.vs[p]!;
      if (ignored[b]) {
        acc.add(s.labels, s.dropName, t, v);
        return;
      }
      const added = new Map<string, string>();
      let matched = 0;
      for (const sig of baseSigs[b]!) {
        const info = bySig.get(sig);
        if (!info) continue;
        matched++;
        info.labels.forEach((name, value) => {
          if (name === METRIC_NAME) return;
          if (dataMatchers.size > 0 && !dataMatchers.has(name)) return;
          const prev = added.get(name);
          if (prev !== undefined && prev !== value) throw new ExecutionError(`conflicting label: ${name}`);
          if (s.labels.has(name)) return;
          added.set(name, value);
        });
      }
      if (matched === 0 && dropsUnmatched) return;
      const labels =
        added.size === 0 ? s.labels : Labels.fromPairs([...s.labels.pairs, ...[...added].flat()]);
      acc.add(labels, s.dropName, t, v);
    });
  }
  return { kind: "vector", series: acc.series() };
}
