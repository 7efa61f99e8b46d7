import type { Labels } from "../../model/labels.js";
import type { LogQueryExpr } from "../logql/index.js";
import { compilePipeline, LineLabels } from "../pipeline/index.js";
import type { LogQuerier } from "../store/querier.js";
import { checkAborted, StreamLabelsCache, toMatchers } from "./labels-cache.js";
import { selectHint } from "./select-hint.js";
import type { LogQueryOptions, LogStreamResult } from "./types.js";

/**
 * Evaluates a log query: one select over `[startNs, endNs)` in `direction`, every entry through the
 * pipeline, the survivors grouped by their labels after the pipeline (structured metadata and `__error__`
 * included, as Loki shows them). At most `limit` entries overall; each stream's entries are in query direction. Streams
 * are returned in the order their first entry was seen.
 */
export async function evaluateLogQuery(
  querier: LogQuerier,
  expr: LogQueryExpr,
  opts: LogQueryOptions,
): Promise<LogStreamResult[]> {
  const pipeline = compilePipeline(expr.pipeline, opts.deps);
  const cache = new StreamLabelsCache();
  const streams = new Map<string, { labels: Labels; entries: LogStreamResult["entries"] }>();
  let count = 0;
  if (opts.limit <= 0) return [];
  const it = querier.select(
    toMatchers(expr.matchers),
    opts.startNs,
    opts.endNs,
    opts.direction,
    pipeline.noop ? opts.limit : Number.POSITIVE_INFINITY,
    selectHint(expr.pipeline),
  );
  for await (const e of it) {
    if ((count & 1023) === 0) checkAborted(opts.signal);
    const stream = cache.get(e.labels);
    let labels: Labels = stream;
    let line = e.line;
    if (!pipeline.noop || e.metadata !== undefined) {
      const md = e.metadata === undefined ? undefined : Object.fromEntries(e.metadata);
      const res = pipeline.process(e.tsNs, e.line, new LineLabels(stream, md));
      if (res === undefined) continue;
      labels = res.labels.toLabels();
      line = res.line;
    }
    const key = labels.key();
    let s = streams.get(key);
    if (s === undefined) {
      s = { labels, entries: [] };
      streams.set(key, s);
    }
    s.entries.push(e.metadata === undefined ? [e.tsNs, line] : [e.tsNs, line, e.metadata]);
    if (++count >= opts.limit) break;
  }
  return [...streams.values()];
}
