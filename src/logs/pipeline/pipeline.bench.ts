import { cpuMsPerCall } from "../../lib/bench/cpu-time.js";
import { Labels } from "../../model/labels.js";
import { type LogQueryExpr, parseLogQL } from "../logql/index.js";
import { logCorpus } from "../store/log-corpus.js";
import { LineLabels } from "./line-labels.js";
import { compilePipeline } from "./pipeline.js";

/**
 * `npm run bench -- pipeline`: per-line cost of compiled LogQL pipelines over the JSON access logs
 * (`ingress-json`) and logfmt lines (`api-logfmt`) of the store's corpus, one thread:
 *
 * - `filter`: `|= "needle"` alone (a substring search; needle chosen to match about one line in ten);
 * - `filter_json`: `|= "needle" | json` (parse only the lines that pass);
 * - `json`: `| json` on every line (flatten all fields);
 * - `json_status`: `| json | status >= 400` (parse and a numeric label filter);
 * - `logfmt`: `| logfmt` on every line of the logfmt stream.
 *
 * Figures per case: `<case>.ns_per_line` and `<case>.mb_per_s` (raw line bytes per CPU-second, the best
 * of several rounds). A fresh {@link LineLabels} per line is included, as a query would do.
 */
export async function run(_args: string[] = []): Promise<Record<string, number>> {
  const corpus = logCorpus({ seed: 7, lines: 50_000 });
  const json = corpus.find((s) => s.labels.format === "json")!;
  const logfmt = corpus.find((s) => s.labels.format === "logfmt")!;
  const needle = pickNeedle(json.lines);
  const cases: [string, string, { labels: Readonly<Record<string, string>>; lines: readonly string[] }][] = [
    ["filter", `|= ${JSON.stringify(needle)}`, json],
    ["filter_json", `|= ${JSON.stringify(needle)} | json`, json],
    ["json", "| json", json],
    ["json_status", "| json | status >= 400", json],
    ["logfmt", "| logfmt", logfmt],
  ];
  const out: Record<string, number> = {};
  for (const [name, text, stream] of cases) {
    const p = compilePipeline((parseLogQL(`{app="x"} ${text}`) as LogQueryExpr).pipeline);
    const labels = Labels.fromRecord(stream.labels);
    const lines = stream.lines;
    let bytes = 0;
    for (const l of lines) bytes += Buffer.byteLength(l);
    const ms = cpuMsPerCall(
      () => {
        let kept = 0;
        for (const l of lines) if (p.process(0n, l, new LineLabels(labels)) !== undefined) kept++;
        return kept;
      },
      { ms: 1000, rounds: 5, warmup: 3 },
    );
    out[`${name}.ns_per_line`] = Math.round((ms * 1e6) / lines.length);
    out[`${name}.mb_per_s`] = Math.round(bytes / 1e6 / (ms / 1000));
  }
  return out;
}

/** A word of the corpus present in roughly 10% of the lines. */
function pickNeedle(lines: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const l of lines.slice(0, 2000))
    for (const w of new Set(l.split(/[^A-Za-z0-9/_-]+/)))
      if (w.length >= 4) counts.set(w, (counts.get(w) ?? 0) + 1);
  let best = "GET";
  let bestDiff = Number.POSITIVE_INFINITY;
  for (const [w, c] of counts) {
    const d = Math.abs(c - 200);
    if (d < bestDiff) [best, bestDiff] = [w, d];
  }
  return best;
}
