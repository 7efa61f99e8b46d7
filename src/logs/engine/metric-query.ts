import { Labels } from "../../model/labels.js";
import type { MetricExpr } from "../logql/index.js";
import type { PipelineDeps } from "../pipeline/index.js";
import type { LogQuerier } from "../store/querier.js";
import { evaluateBinary } from "./binary.js";
import { LogQLEvalError } from "./errors.js";
import { evaluateLabelReplace } from "./label-replace.js";
import { evaluateRangeAggregation } from "./range-aggregation.js";
import type { StepSeries, Steps, StepValue } from "./step-vector.js";
import type { MatrixSeries, MetricQueryOptions, MetricResult, VectorSample } from "./types.js";
import { evaluateVectorAggregation } from "./vector-aggregation.js";

/** Upper bound on evaluation steps of one range query: raise `stepNs` to stay under it. */
export const MAX_STEPS = 11_000;

/**
 * Evaluates a metric query over a querier. A range query returns a matrix (a scalar expression gives
 * one series without labels); an instant query returns a vector, or a scalar for a scalar
 * expression. Each range aggregation reads its entries with one select over its whole span.
 * Matrix series are sorted by labels; vector samples too, except under `sort`/`sort_desc`
 * (by value) at the top.
 */
export async function evaluateMetricQuery(
  querier: LogQuerier,
  expr: MetricExpr,
  opts: MetricQueryOptions,
): Promise<MetricResult> {
  const steps = stepsOf(opts);
  const n = steps.times.length;
  const v = await evaluate(querier, expr, steps, opts.deps, opts.signal);
  if (opts.instant === true) {
    const t = steps.times[0]!;
    if (v.kind === "scalar") return { kind: "scalar", tsNs: t, value: v.values[0]! };
    const samples: VectorSample[] = [];
    for (const s of v.series.values())
      if (s.present[0] === 1) samples.push({ labels: s.labels, tsNs: t, value: s.values[0]! });
    samples.sort((a, b) => Labels.compare(a.labels, b.labels));
    if (expr.kind === "vectorAggregation" && (expr.op === "sort" || expr.op === "sort_desc")) {
      const sign = expr.op === "sort" ? 1 : -1;
      samples.sort((a, b) => sign * (a.value - b.value));
    }
    return { kind: "vector", samples };
  }
  const series: MatrixSeries[] = [];
  const all: Iterable<StepSeries> =
    v.kind === "scalar"
      ? [{ labels: Labels.EMPTY, values: v.values, present: new Uint8Array(n).fill(1) }]
      : v.series.values();
  for (const s of all) {
    const points: [bigint, number][] = [];
    for (let i = 0; i < n; i++) if (s.present[i] === 1) points.push([steps.times[i]!, s.values[i]!]);
    if (points.length > 0) series.push({ labels: s.labels, points });
  }
  series.sort((a, b) => Labels.compare(a.labels, b.labels));
  return { kind: "matrix", series };
}

function stepsOf(opts: MetricQueryOptions): Steps {
  if (opts.instant === true) return { times: [opts.endNs] };
  if (opts.stepNs <= 0n) throw new LogQLEvalError("bad_query", "step must be positive");
  if (opts.endNs < opts.startNs) throw new LogQLEvalError("bad_query", "end must not be before start");
  const count = (opts.endNs - opts.startNs) / opts.stepNs + 1n;
  if (count > BigInt(MAX_STEPS))
    throw new LogQLEvalError(
      "bad_query",
      `query would take ${count} steps, more than the ${MAX_STEPS} allowed; raise the step or shorten the range`,
    );
  const times: bigint[] = [];
  for (let t = opts.startNs; t <= opts.endNs; t += opts.stepNs) times.push(t);
  return { times };
}

async function evaluate(
  querier: LogQuerier,
  expr: MetricExpr,
  steps: Steps,
  deps: PipelineDeps,
  signal: AbortSignal | undefined,
): Promise<StepValue> {
  const n = steps.times.length;
  switch (expr.kind) {
    case "number":
      return { kind: "scalar", values: new Float64Array(n).fill(expr.value) };
    case "vector": {
      const s: StepSeries = {
        labels: Labels.EMPTY,
        values: new Float64Array(n).fill(expr.value),
        present: new Uint8Array(n).fill(1),
      };
      return { kind: "vector", series: new Map([[Labels.EMPTY.key(), s]]) };
    }
    case "rangeAggregation":
      return evaluateRangeAggregation(querier, expr, steps, deps, signal);
    case "vectorAggregation":
      return evaluateVectorAggregation(expr, await evaluate(querier, expr.expr, steps, deps, signal), n);
    case "labelReplace":
      return evaluateLabelReplace(expr, await evaluate(querier, expr.expr, steps, deps, signal));
    case "binary": {
      const [l, r] = await Promise.all([
        evaluate(querier, expr.lhs, steps, deps, signal),
        evaluate(querier, expr.rhs, steps, deps, signal),
      ]);
      return evaluateBinary(expr, l, r, n);
    }
  }
}
