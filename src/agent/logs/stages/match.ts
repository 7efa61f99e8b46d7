/**
 * The `match` stage: entries whose labels match `selector` (a LogQL stream selector, optionally
 * followed by line filters: `{app="api"} |= "error" != "debug"`) go through the nested `stages`
 * (`action: keep`, the default) or are dropped (`action: drop`, counted under `drop_counter_reason`,
 * default `match_stage`). Entries that do not match continue unchanged. Entries released by nested
 * stages continue with the stages after the `match`.
 */

import { isLogQuery, LogQLParseError, parseLogQL } from "../../../logs/logql/index.js";
import { compilePipeline as compileLogQLPipeline, LineLabels } from "../../../logs/pipeline/index.js";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import type { ConfigReader } from "./config.js";
import type { Entry } from "./entry.js";
import type { Sink, StageEnv } from "./sink.js";

/** Default drop reason of `match` with `action: drop`. */
export const MATCH_STAGE_REASON = "match_stage";

/** Compiles a `match` stage. */
export function matchStage(r: ConfigReader, next: Sink, env: StageEnv): Sink {
  const selector = r.string("selector", 'a LogQL stream selector such as {app="api"} |= "error"');
  const action = r.optString("action") ?? "keep";
  const stagesRaw = r.raw("stages");
  r.optString("pipeline_name"); // a name for humans and metrics; it changes nothing here
  const reason = r.optString("drop_counter_reason") || MATCH_STAGE_REASON;
  r.done();
  if (action !== "keep" && action !== "drop") {
    throw r.error("action", `must be keep or drop, found ${JSON.stringify(action)}`);
  }
  if (action === "drop" && stagesRaw !== undefined) {
    throw r.error("stages", "must be empty with action: drop (the matching entries are dropped)");
  }
  if (action === "keep" && stagesRaw === undefined) {
    throw r.error("stages", "is required with action: keep: the stages to run on matching entries");
  }
  const selects = compileSelector(r, selector);
  // Nested stages hand entries straight to the stages after this match; their flush is driven from here.
  const after: Sink = { push: (e, now) => next.push(e, now), flush: () => {} };
  const inner = action === "keep" ? env.compileStages(stagesRaw, `${r.path}.stages`, after) : undefined;
  return {
    push(e, now) {
      if (!selects(e)) next.push(e, now);
      else if (inner === undefined) env.drop(reason);
      else inner.push(e, now);
    },
    flush(now, final) {
      inner?.flush(now, final);
      next.flush(now, final);
    },
  };
}

function compileSelector(r: ConfigReader, selector: string): (e: Entry) => boolean {
  let expr: ReturnType<typeof parseLogQL>;
  try {
    expr = parseLogQL(selector);
  } catch (err) {
    const msg = err instanceof LogQLParseError || err instanceof Error ? err.message : String(err);
    throw r.error("selector", `invalid LogQL selector ${JSON.stringify(selector)}: ${msg}`);
  }
  if (!isLogQuery(expr)) {
    throw r.error(
      "selector",
      `must be a stream selector with optional line filters, not a metric query: ${selector}`,
    );
  }
  const bad = expr.pipeline.find((s) => s.kind !== "lineFilter");
  if (bad !== undefined) {
    throw r.error(
      "selector",
      `only line filters (|= != |~ !~) may follow the stream selector, found a ${bad.kind} stage`,
    );
  }
  let matchers: Matcher[];
  try {
    matchers = expr.matchers.map((m) => new Matcher(m.op, m.name, m.value));
  } catch (err) {
    throw r.error("selector", (err as Error).message);
  }
  let filter: ((line: string) => boolean) | undefined;
  if (expr.pipeline.length > 0) {
    let p: ReturnType<typeof compileLogQLPipeline>;
    try {
      p = compileLogQLPipeline(expr.pipeline);
    } catch (err) {
      throw r.error("selector", (err as Error).message);
    }
    const noLabels = new LineLabels(Labels.EMPTY); // line filters neither read nor change labels
    filter = (line) => p.process(0n, line, noLabels) !== undefined;
  }
  return (e) => {
    for (const m of matchers) if (!m.matches(e.labels.get(m.name) ?? "")) return false;
    return filter === undefined || filter(e.line);
  };
}
