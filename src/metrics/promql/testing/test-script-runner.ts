import { newCtx } from "../../../model/context.js";
import { Labels } from "../../../model/labels.js";
import { isStaleNaN, STALE_NAN } from "../../../model/stale.js";
import { Engine } from "../engine.js";
import type { QueryResult } from "../result.js";
import { MemoryQueryable } from "./memory-queryable.js";
import { type EvalCommand, parseTestScript, type SeriesLine } from "./test-script.js";

/**
 * Runs a PromQL test script (see test-script.ts) against the {@link Engine} and a
 * {@link MemoryQueryable}, checking results as upstream's harness does (FORMAT.md §5.3) plus its
 * range-mode re-check (§6.2). Annotations are not checked; the `@`-invariance re-check is not run.
 */

/** The outcome of one `eval` command. */
export interface EvalOutcome {
  readonly line: number;
  readonly expr: string;
  readonly status: "pass" | "fail" | "skip";
  readonly reason: string;
}

/** Options of {@link runTestScript}. */
export interface RunOptions {
  /** Line numbers of eval commands to skip (e.g. those needing native histograms). */
  readonly skipLines?: ReadonlySet<number>;
  /** The engine to use; by default one configured like upstream's harness (FORMAT.md §7). */
  readonly engine?: Engine;
}

const MIN_NORMAL = 2.2250738585072014e-308;

/** Upstream's float comparison: NaN equals NaN, stale equals only stale, else within 1e-6 relative. */
export function almostEqual(a: number, b: number): boolean {
  const sa = isStaleNaN(a);
  const sb = isStaleNaN(b);
  if (sa || sb) return sa && sb;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const diff = Math.abs(a - b);
  const sum = Math.abs(a) + Math.abs(b);
  if (a === 0 || b === 0 || sum < MIN_NORMAL) return diff < 1e-6 * MIN_NORMAL;
  return diff / Math.min(sum, Number.MAX_VALUE) < 1e-6;
}

/** Whether an actual value matches an expected one (a number or "stale"). */
function matches(actual: number, expected: number | "stale"): boolean {
  return expected === "stale" ? isStaleNaN(actual) : almostEqual(actual, expected);
}

/** Runs every command of `script`; returns one outcome per `eval`. */
export async function runTestScript(script: string, opts: RunOptions = {}): Promise<EvalOutcome[]> {
  const engine =
    opts.engine ?? new Engine({ delayedNameRemoval: true, maxSamples: 10_000, timeoutMs: 100_000 });
  const store = new MemoryQueryable();
  const outcomes: EvalOutcome[] = [];
  for (const cmd of parseTestScript(script)) {
    if (cmd.kind === "clear") {
      store.clear();
    } else if (cmd.kind === "load") {
      for (const s of cmd.series) {
        if (s.histograms) continue;
        s.values.forEach((v, k) => {
          if (v !== undefined) store.add(s.labels, k * cmd.intervalMs, v === "stale" ? STALE_NAN : v);
        });
      }
    } else if (opts.skipLines?.has(cmd.line)) {
      outcomes.push({ line: cmd.line, expr: cmd.expr, status: "skip", reason: "needs native histograms" });
    } else {
      outcomes.push(await runEval(engine, store, cmd));
    }
  }
  return outcomes;
}

async function runEval(engine: Engine, store: MemoryQueryable, cmd: EvalCommand): Promise<EvalOutcome> {
  const outcome = (status: EvalOutcome["status"], reason = ""): EvalOutcome => ({
    line: cmd.line,
    expr: cmd.expr,
    status,
    reason,
  });
  if (cmd.series.some((s) => s.histograms)) return outcome("skip", "expects native histograms");
  const ctx = newCtx(["test"]);
  let result: QueryResult;
  try {
    result =
      "instant" in cmd.at
        ? await engine.instantQuery(ctx, store, cmd.expr, cmd.at.instant)
        : await engine.rangeQuery(ctx, store, cmd.expr, cmd.at.start, cmd.at.end, cmd.at.step);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/not supported yet/.test(msg)) return outcome("skip", msg);
    if (!cmd.fail) return outcome("fail", `unexpected error: ${msg}`);
    if (cmd.fail.msg !== undefined && cmd.fail.msg !== msg)
      return outcome("fail", `error ${JSON.stringify(msg)}, want ${JSON.stringify(cmd.fail.msg)}`);
    if (cmd.fail.regex !== undefined && !new RegExp(cmd.fail.regex).test(msg)) {
      return outcome("fail", `error ${JSON.stringify(msg)} does not match /${cmd.fail.regex}/`);
    }
    return outcome("pass");
  }
  if (cmd.fail) return outcome("fail", "expected the query to fail");
  const problem = check(cmd, result);
  if (problem) return outcome("fail", problem);
  if ("instant" in cmd.at && rangeRecheckApplies(cmd)) {
    const t = cmd.at.instant;
    let ranged: QueryResult;
    try {
      ranged = await engine.rangeQuery(ctx, store, cmd.expr, t - 60_000, t + 60_000, 60_000);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/not supported yet/.test(msg)) return outcome("skip", msg);
      return outcome("fail", `range-mode re-check: unexpected error: ${msg}`);
    }
    const again = checkRangeAsInstant(cmd, ranged, t);
    if (again) return outcome("fail", `range-mode re-check: ${again}`);
  }
  return outcome("pass");
}

function rangeRecheckApplies(cmd: EvalCommand): boolean {
  return (
    !cmd.ordered &&
    !cmd.rangeVector &&
    cmd.string === undefined &&
    !/\b(start|end|range|step)\(\)/.test(cmd.expr)
  );
}

function fmt(labels: Labels): string {
  return labels.toString();
}

/** Compares a query result with an eval's expectations; returns what differs, or undefined. */
function check(cmd: EvalCommand, r: QueryResult): string | undefined {
  if (cmd.scalar !== undefined) {
    if (r.resultType !== "scalar") return `got a ${r.resultType}, want scalar ${cmd.scalar}`;
    return almostEqual(r.v, cmd.scalar) ? undefined : `got scalar ${r.v}, want ${cmd.scalar}`;
  }
  if (cmd.string !== undefined) {
    if (r.resultType !== "string") return `got a ${r.resultType}, want a string`;
    return r.v === cmd.string
      ? undefined
      : `got string ${JSON.stringify(r.v)}, want ${JSON.stringify(cmd.string)}`;
  }
  if (cmd.rangeVector) {
    if (r.resultType !== "matrix") return `got a ${r.resultType}, want a range vector`;
    const { start, step } = cmd.rangeVector;
    return compareMatrix(cmd.series, r.series, start, step, false);
  }
  if ("instant" in cmd.at) {
    if (r.resultType === "scalar" || r.resultType === "string") return `got a ${r.resultType}, want a vector`;
    if (r.resultType !== "vector") return `got a ${r.resultType}, want a vector`;
    for (const s of cmd.series)
      if (s.values.length !== 1) return `expected series ${fmt(s.labels)} has ${s.values.length} values`;
    const got = r.series.map((s) => ({ labels: s.labels, v: s.v }));
    return compareVector(cmd.series, got, cmd.ordered);
  }
  if (r.resultType !== "matrix") return `got a ${r.resultType}, want a matrix`;
  for (let i = 1; i < r.series.length; i++) {
    if (Labels.compare(r.series[i - 1]!.labels, r.series[i]!.labels) >= 0)
      return "matrix is not sorted by labels";
  }
  return compareMatrix(cmd.series, r.series, cmd.at.start, cmd.at.step, true);
}

function compareVector(
  want: readonly SeriesLine[],
  got: readonly { labels: Labels; v: number }[],
  ordered: boolean,
): string | undefined {
  const byKey = new Map(got.map((g, i) => [g.labels.key(), { ...g, i }]));
  if (got.length !== want.length) {
    return `got ${got.length} series (${got.map((g) => `${fmt(g.labels)} ${g.v}`).join(", ")}), want ${want.length}`;
  }
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = byKey.get(w.labels.key());
    if (!g) return `missing series ${fmt(w.labels)}; got ${got.map((x) => fmt(x.labels)).join(", ")}`;
    const wv = w.values[0];
    if (wv === undefined || !matches(g.v, wv)) return `series ${fmt(w.labels)}: got ${g.v}, want ${wv}`;
    if (ordered && g.i !== i) return `series ${fmt(w.labels)} at position ${g.i + 1}, want ${i + 1}`;
  }
  return undefined;
}

function compareMatrix(
  want: readonly SeriesLine[],
  got: readonly { labels: Labels; ts: Float64Array; vs: Float64Array }[],
  start: number,
  step: number,
  _sorted: boolean,
): string | undefined {
  const byKey = new Map(got.map((g) => [g.labels.key(), g]));
  if (got.length !== want.length)
    return `got ${got.length} series (${got.map((g) => fmt(g.labels)).join(", ")}), want ${want.length}`;
  for (const w of want) {
    const g = byKey.get(w.labels.key());
    if (!g) return `missing series ${fmt(w.labels)}`;
    const expected: [number, number | "stale"][] = [];
    w.values.forEach((v, k) => {
      if (v !== undefined) expected.push([start + k * step, v]);
    });
    const actual = Array.from(g.ts, (t, i) => [t, g.vs[i]!] as [number, number]);
    if (expected.length !== actual.length) {
      return `series ${fmt(w.labels)}: got ${actual.length} points ${JSON.stringify(actual)}, want ${expected.length} ${JSON.stringify(expected)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const [et, ev] = expected[i]!;
      const [at, av] = actual[i]!;
      if (et !== at || !matches(av, ev))
        return `series ${fmt(w.labels)}: got point (${at}, ${av}), want (${et}, ${ev})`;
    }
  }
  return undefined;
}

function checkRangeAsInstant(cmd: EvalCommand, r: QueryResult, t: number): string | undefined {
  if (r.resultType !== "matrix") return `got a ${r.resultType}`;
  const atT: { labels: Labels; v: number }[] = [];
  for (const s of r.series) {
    const i = s.ts.indexOf(t);
    if (i >= 0) atT.push({ labels: s.labels, v: s.vs[i]! });
  }
  if (cmd.scalar !== undefined) {
    const v = atT[0]?.v;
    return v !== undefined && almostEqual(v, cmd.scalar) ? undefined : `got ${v}, want scalar ${cmd.scalar}`;
  }
  return compareVector(cmd.series, atT, false);
}
